// MESSAGE, is-composing, PUBLISH and SUBSCRIBE/NOTIFY against a scripted peer that plays both the
// server and the buddies.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, PresenceEvent, TypingEvent, UserAgent } from '../../src/index.js';
import { parsePidf } from '../../src/presence/pidf.js';
import { parseIsComposing } from '../../src/messaging/is-composing.js';
import { hostPort, newUa } from './helpers.js';
import { ScriptedPeer, sleep, until } from './scripted-peer.js';

const TWO_TUPLES = `<?xml version="1.0"?>
<p:presence xmlns:p="urn:ietf:params:xml:ns:pidf" entity="sip:bob@example.com">
  <p:tuple id="phone"><p:status><p:basic>closed</p:basic></p:status></p:tuple>
  <p:tuple id="pc"><p:status><p:basic>open</p:basic></p:status><p:note>at lunch</p:note></p:tuple>
</p:presence>`;

describe('messaging and presence against a scripted peer', () => {
  let peer: ScriptedPeer;
  let ua: UserAgent;
  let at: { address: string; port: number };
  before(async () => {
    peer = await ScriptedPeer.start();
    ua = newUa(peer.uri(), { typingIdleMs: 150, presenceExpires: 1, backoff: { baseMs: 20, maxMs: 100 } });
    await ua.register();
    at = hostPort(ua.contact as string);
  });
  after(async () => {
    await ua.close();
    await peer.stop();
  });
  const inbound = (method: string, headers: Array<[string, string]> = [], body?: string, contentType?: string) => peer.send(at, {
    method, uri: `sip:alice@${at.address}:${at.port}`, from: '<sip:bob@example.com>;tag=b1', to: '<sip:alice@example.com>', headers, body, contentType,
  });

  test('sendMessage: MESSAGE with the body and type, no Contact; 202 counts as accepted', async () => {
    peer.script = () => ({ status: 202 });
    const r = await ua.sendMessage('bob', 'hello bob', 'text/plain');
    assert.deepEqual(r, { status: 202, reason: 'Accepted', accepted: true });
    const m = peer.of('MESSAGE').at(-1);
    assert.equal(m?.requestUri, 'sip:bob@example.com');
    assert.equal(m?.body.toString(), 'hello bob');
    assert.equal(m?.header('contact'), undefined);
    peer.script = () => ({ status: 404 });
    assert.equal((await ua.sendMessage('sip:carol@example.com', 'x')).accepted, false);
  });

  test('incoming MESSAGE: text/plain, text/html and message/cpim are delivered with 200', async () => {
    const got: IncomingMessage[] = [];
    ua.on('message', (m) => got.push(m));
    assert.equal((await inbound('MESSAGE', [], 'hi alice', 'text/plain')).status, 200);
    assert.equal((await inbound('MESSAGE', [], '<b>hi</b>', 'text/html')).status, 200);
    const cpim = 'From: <sip:bob@example.com>\r\nDateTime: 2026-01-01T00:00:00Z\r\n\r\nContent-Type: text/plain\r\n\r\nwrapped';
    assert.equal((await inbound('MESSAGE', [], cpim, 'message/cpim')).status, 200);
    assert.deepEqual(got.map((m) => [m.from, m.contentType, m.body]), [
      ['sip:bob@example.com', 'text/plain', 'hi alice'], ['sip:bob@example.com', 'text/html', '<b>hi</b>'], ['sip:bob@example.com', 'text/plain', 'wrapped'],
    ]);
    assert.equal(got[2].dateTime, '2026-01-01T00:00:00Z');
  });

  test('unsupported body 415 with Accept; unknown method 501; known but not served 405 with Allow; OPTIONS 200', async () => {
    const r415 = await inbound('MESSAGE', [], 'x', 'application/octet-stream');
    assert.equal(r415.status, 415);
    assert.match(r415.header('accept') as string, /text\/plain/);
    assert.equal((await inbound('FOOBAR')).status, 501);
    const r405 = await inbound('INFO');
    assert.equal(r405.status, 405);
    assert.match(r405.header('allow') as string, /MESSAGE/);
    assert.equal((await inbound('OPTIONS')).status, 200);
  });

  test('a request that requires an extension gets 420 with Unsupported; a Content-Type that does not parse gets 400 saying so', async () => {
    const r420 = await inbound('MESSAGE', [['Require', 'foo, bar']], 'hi', 'text/plain');
    assert.equal(r420.status, 420);
    assert.equal(r420.header('unsupported'), 'foo, bar');
    const r400 = await inbound('MESSAGE', [], 'hi', 'garbage');
    assert.equal(r400.status, 400);
    assert.match(r400.reason as string, /Content-Type/);
  });

  test('typing: active with refresh, idle after the idle timeout; no idle document after a sent message', async () => {
    peer.script = () => ({ status: 200 });
    const before = peer.of('MESSAGE').length;
    ua.composing('bob');
    ua.composing('bob');
    await until(() => peer.of('MESSAGE').length >= before + 2, 2000, 'active then idle');
    const docs = peer.of('MESSAGE').slice(before).map((m) => parseIsComposing(m.body.toString()));
    assert.deepEqual(docs.map((d) => d.state), ['active', 'idle']);
    assert.equal(docs[0].refresh, 90);
    const count = peer.of('MESSAGE').length;
    ua.composing('bob');
    await ua.sendMessage('bob', 'done typing');
    await sleep(300);
    assert.equal(peer.of('MESSAGE').length, count + 2, 'active, the message, and no idle');
  });

  test('typing received: active, then idle when the message arrives', async () => {
    const events: TypingEvent[] = [];
    ua.on('typing', (t) => events.push(t));
    const doc = '<?xml version="1.0"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>60</refresh></isComposing>';
    assert.equal((await inbound('MESSAGE', [], doc, 'application/im-iscomposing+xml')).status, 200);
    await inbound('MESSAGE', [], 'the text', 'text/plain');
    assert.deepEqual(events.map((e) => e.state), ['active', 'idle']);
  });

  test('PUBLISH: PIDF with the note, refresh with SIP-If-Match and no body, modify, 412 starts over', async () => {
    let n = 0;
    peer.script = (r) => (r.method === 'PUBLISH' ? { status: 200, headers: [['SIP-ETag', `e${++n}`], ['Expires', '1']] } : { status: 200 });
    await ua.setPresence({ basic: 'open', note: 'at lunch', activity: 'away' });
    const first = peer.of('PUBLISH').at(-1);
    assert.equal(first?.header('event'), 'presence');
    assert.equal(first?.header('content-type'), 'application/pidf+xml');
    const doc = parsePidf(first?.body.toString() as string);
    assert.equal(doc.tuples[0].basic, 'open');
    assert.deepEqual(doc.activities, ['away']);
    assert.ok(doc.notes.includes('at lunch'));
    await until(() => peer.of('PUBLISH').length >= 2, 2000, 'a refresh');
    const refresh = peer.of('PUBLISH')[1];
    assert.equal(refresh.header('sip-if-match'), 'e1');
    assert.equal(refresh.body.length, 0);
    peer.script = (r) => (r.header('sip-if-match') !== undefined ? { status: 412 } : { status: 200, headers: [['SIP-ETag', 'new'], ['Expires', '60']] });
    await ua.setPresence({ basic: 'closed' });
    const [modify, initial] = peer.of('PUBLISH').slice(-2);
    assert.ok(modify.header('sip-if-match'));
    assert.equal(initial.header('sip-if-match'), undefined);
    assert.ok(initial.body.length > 0);
  });

  test('SUBSCRIBE, NOTIFY with two tuples, 481 for strangers, terminated reasons and re-subscribe', async () => {
    const events: PresenceEvent[] = [];
    ua.on('presence', (e) => events.push(e));
    peer.script = (r) => (r.method === 'SUBSCRIBE' ? { status: 200, headers: [['Expires', '600'], ['Contact', '<sip:bob@127.0.0.1>']] } : { status: 200 });
    await ua.subscribe('bob');
    await until(() => peer.of('SUBSCRIBE').length >= 1, 2000, 'SUBSCRIBE');
    const sub = peer.of('SUBSCRIBE')[0];
    assert.equal(sub.header('event'), 'presence');
    assert.equal(sub.header('accept'), 'application/pidf+xml');
    const dialog = (state: string, body?: string, callId = sub.callId()) => peer.send(at, {
      method: 'NOTIFY', uri: ua.contact as string, from: '<sip:bob@example.com>;tag=srv1', to: `<sip:alice@example.com>;tag=${sub.from().tag as string}`,
      callId, cseq: Math.floor(Math.random() * 1000) + 1,
      headers: [['Event', 'presence'], ['Subscription-State', state], ['Contact', '<sip:bob@127.0.0.1>']], body, contentType: body === undefined ? undefined : 'application/pidf+xml',
    });
    assert.equal((await dialog('active;expires=600', TWO_TUPLES)).status, 200);
    const e = events.at(-1) as PresenceEvent;
    assert.equal(e.basic, 'open');
    assert.equal(e.tuples.length, 2);
    assert.equal(e.note, 'at lunch');
    assert.equal(e.subscription, 'active');
    assert.equal((await dialog('active', TWO_TUPLES, 'unknown-call-id')).status, 481);
    // deactivated: subscribe again at once, in a new dialog (RFC 6665 4.2.2).
    assert.equal((await dialog('terminated;reason=deactivated')).status, 200);
    await until(() => peer.of('SUBSCRIBE').length >= 2, 2000, 'a new SUBSCRIBE');
    const again = peer.of('SUBSCRIBE')[1];
    assert.notEqual(again.callId(), sub.callId());
    assert.equal(again.to().tag, undefined);
    // rejected: never again.
    const third = peer.of('SUBSCRIBE').length;
    await peer.send(at, {
      method: 'NOTIFY', uri: ua.contact as string, from: '<sip:bob@example.com>;tag=srv2', to: `<sip:alice@example.com>;tag=${again.from().tag as string}`,
      callId: again.callId(), headers: [['Event', 'presence'], ['Subscription-State', 'terminated;reason=rejected']],
    });
    await sleep(300);
    assert.equal(peer.of('SUBSCRIBE').length, third);
    assert.equal(events.at(-1)?.reason, 'rejected');
  });

  test('un-SUBSCRIBE: the final NOTIFY (terminated) is answered 200, not 481, and reported to nobody', async () => {
    const events: PresenceEvent[] = [];
    ua.on('presence', (e) => events.push(e));
    peer.script = (r) => (r.method === 'SUBSCRIBE' ? { status: 200, headers: [['Expires', '600'], ['Contact', '<sip:dave@127.0.0.1>']] } : { status: 200 });
    await ua.subscribe('dave');
    await until(() => peer.of('SUBSCRIBE').some((m) => m.requestUri === 'sip:dave@example.com'), 2000, 'SUBSCRIBE');
    const sub = peer.of('SUBSCRIBE').filter((m) => m.requestUri === 'sip:dave@example.com')[0];
    const notify = (state: string, cseq: number) => peer.send(at, {
      method: 'NOTIFY', uri: ua.contact as string, from: '<sip:dave@example.com>;tag=d1', to: `<sip:alice@example.com>;tag=${sub.from().tag as string}`,
      callId: sub.callId(), cseq, headers: [['Event', 'presence'], ['Subscription-State', state], ['Contact', '<sip:dave@127.0.0.1>']],
    });
    assert.equal((await notify('active;expires=600', 1)).status, 200);
    await ua.unsubscribe('dave');
    const seen = events.length;
    // RFC 6665 4.1.2.3: the notifier answers the un-SUBSCRIBE with a NOTIFY, terminated.
    assert.equal((await notify('terminated;reason=timeout', 2)).status, 200);
    assert.equal(events.length, seen);
    // Once that came, the dialog is gone: anything later in it is a stranger's.
    assert.equal((await notify('terminated', 3)).status, 481);
  });

  test('close(): un-SUBSCRIBE inside the dialog, PUBLISH Expires: 0 with SIP-If-Match, un-REGISTER', async () => {
    const other = newUa(peer.uri());
    peer.script = (r) => (r.method === 'SUBSCRIBE' ? { status: 200, headers: [['Expires', '600']] }
      : r.method === 'PUBLISH' ? { status: 200, headers: [['SIP-ETag', 'tag9'], ['Expires', '600']] } : { status: 200 });
    await other.register();
    await other.setPresence({ basic: 'open' });
    await other.subscribe('carol');
    await until(() => peer.of('SUBSCRIBE').some((s) => s.requestUri === 'sip:carol@example.com' && s.header('expires') === '600'), 2000, 'SUBSCRIBE');
    await sleep(50);
    await other.close();
    const last = (m: string) => peer.of(m).at(-1);
    assert.equal(last('SUBSCRIBE')?.header('expires'), '0');
    assert.ok(last('SUBSCRIBE')?.to().tag);
    assert.equal(last('PUBLISH')?.header('expires'), '0');
    assert.equal(last('PUBLISH')?.header('sip-if-match'), 'tag9');
    assert.equal(last('REGISTER')?.header('expires'), '0');
  });
});
