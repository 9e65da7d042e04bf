// `simplesip client` chat commands and `watch --json` through the CLI (spawned asynchronously),
// against a scripted peer playing the server and the buddy bob.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { composePidf, parsePidf } from '../../src/presence/pidf.js';
import type { SipMessage } from '../../src/sip/message.js';
import { startClient, type ClientProcess } from './cli-run.js';
import { hostPort } from './helpers.js';
import { ScriptedPeer, until } from './scripted-peer.js';

const AOR = 'sip:alice@example.com';
const BOB_BUSY = composePidf({ entity: 'sip:bob@example.com', basic: 'open', note: 'in a meeting', activity: 'busy', tupleId: 'pc' });
const TYPING = '<?xml version="1.0"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>60</refresh></isComposing>';

function serve(peer: ScriptedPeer): void {
  peer.script = (r) => {
    switch (r.method) {
      case 'PUBLISH': return { status: 200, headers: [['SIP-ETag', 'etag1'], ['Expires', '600']] };
      case 'SUBSCRIBE': return { status: 200, headers: [['Expires', r.header('expires') as string], ['Contact', '<sip:bob@127.0.0.1>']] };
      case 'MESSAGE': return { status: r.requestUri.startsWith('sip:carol@') ? 404 : 200 };
      default: return { status: 200 };
    }
  };
}

/** Where the client registered (its Contact), for requests toward it. */
function contactOf(peer: ScriptedPeer): { address: string; port: number } {
  const reg = peer.of('REGISTER').find((r) => r.header('expires') !== '0') as SipMessage;
  return hostPort(reg.header('contact') as string);
}

/** NOTIFY in the subscription dialog of `sub` (RFC 6665 4.2.1). */
function notify(peer: ScriptedPeer, sub: SipMessage, state: string, body?: string): Promise<SipMessage> {
  return peer.send(contactOf(peer), {
    method: 'NOTIFY', uri: (sub.header('contact') as string).replace(/^<|>.*$/g, ''), from: '<sip:bob@example.com>;tag=srv1',
    to: `<${AOR}>;tag=${sub.from().tag as string}`, callId: sub.callId(), cseq: 1,
    headers: [['Event', 'presence'], ['Subscription-State', state], ['Contact', '<sip:bob@127.0.0.1>']],
    body, contentType: body === undefined ? undefined : 'application/pidf+xml',
  });
}

function fromBob(peer: ScriptedPeer, body: string, contentType: string): Promise<SipMessage> {
  const at = contactOf(peer);
  return peer.send(at, { method: 'MESSAGE', uri: `sip:alice@${at.address}:${at.port}`, from: '<sip:bob@example.com>;tag=b1', to: `<${AOR}>`, body, contentType });
}

describe('simplesip client chat commands', () => {
  let peer: ScriptedPeer;
  let c: ClientProcess;
  before(async () => {
    peer = await ScriptedPeer.start();
    serve(peer);
  });
  after(async () => {
    if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await peer.stop();
  });

  test('/msg, plain lines to the same person, /status, /add, /buddies, /remove, incoming messages, /quit', async () => {
    c = startClient(['--user', AOR, '--server', peer.uri(), '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'secret' });
    await c.line(/registered sip:alice@example\.com as /);
    const type = (line: string): void => { c.child.stdin.write(`${line}\n`); };

    type('/msg bob hello bob');
    await until(() => peer.of('MESSAGE').length === 1, 5000, '/msg');
    type('and again');
    await until(() => peer.of('MESSAGE').length === 2, 5000, 'a plain line');
    assert.deepEqual(peer.of('MESSAGE').map((m) => [m.requestUri, m.body.toString()]), [['sip:bob@example.com', 'hello bob'], ['sip:bob@example.com', 'and again']]);
    type('/msg carol are you there');
    await c.line(/not delivered to sip:carol@example\.com: 404 Not Found/);

    type('/status away "at lunch"');
    await c.line(/status: away \(at lunch\)/);
    const doc = parsePidf(peer.of('PUBLISH')[0].body.toString());
    assert.equal(doc.tuples[0].basic, 'open');
    assert.deepEqual(doc.activities, ['away']);
    assert.ok(doc.notes.includes('at lunch'), JSON.stringify(doc));

    type('/add bob');
    await until(() => peer.of('SUBSCRIBE').length === 1, 5000, 'SUBSCRIBE');
    const sub = peer.of('SUBSCRIBE')[0];
    assert.equal(sub.requestUri, 'sip:bob@example.com');
    assert.equal((await notify(peer, sub, 'active;expires=600', BOB_BUSY)).status, 200);
    await c.line(/presence sip:bob@example\.com: busy \(in a meeting\)/);
    type('/buddies');
    await until(() => c.stdout().split('\n').some((l) => /^(> )*sip:bob@example\.com: busy \(in a meeting\)$/.test(l)), 5000, '/buddies listing');

    type('/remove bob');
    await until(() => peer.of('SUBSCRIBE').length === 2, 5000, 'un-SUBSCRIBE');
    const unsub = peer.of('SUBSCRIBE')[1];
    assert.equal(unsub.header('expires'), '0');
    assert.equal(unsub.callId(), sub.callId(), 'in the dialog');

    assert.equal((await fromBob(peer, 'hi alice', 'text/plain')).status, 200);
    await c.line(/\[sip:bob@example\.com\] hi alice/);
    type('/nonsense');
    await c.line(/unknown command \/nonsense/);

    type('/quit');
    assert.equal(await c.exited, 0, c.stderr());
    const last = (m: string): SipMessage | undefined => peer.of(m).at(-1);
    assert.equal(last('REGISTER')?.header('expires'), '0');
    assert.equal(last('PUBLISH')?.header('expires'), '0');
    assert.equal(last('PUBLISH')?.header('sip-if-match'), 'etag1');
  });
});

describe('simplesip client watch --json', () => {
  let peer: ScriptedPeer;
  let c: ClientProcess;
  before(async () => {
    peer = await ScriptedPeer.start();
    serve(peer);
  });
  after(async () => {
    if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await peer.stop();
  });

  test('one JSON object per line, event first, with the documented fields for every event', async () => {
    c = startClient(['watch', '--json', '--buddy', 'bob', '--user', AOR, '--server', peer.uri(), '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'secret' });
    const parse = (line: string): Record<string, unknown> => JSON.parse(line) as Record<string, unknown>;
    const registered = parse(await c.line(/"event":"registered"/));
    assert.deepEqual(Object.keys(registered), ['event', 'aor', 'contact', 'expires']);
    assert.equal(registered.aor, AOR);
    assert.match(registered.contact as string, /^sip:alice@127\.0\.0\.1:\d+$/);
    assert.equal(registered.expires, 600);

    await until(() => peer.of('SUBSCRIBE').length === 1, 5000, 'SUBSCRIBE for --buddy');
    await notify(peer, peer.of('SUBSCRIBE')[0], 'active;expires=600', BOB_BUSY);
    const presence = parse(await c.line(/"event":"presence"/));
    assert.deepEqual(presence, {
      event: 'presence', buddy: 'sip:bob@example.com', basic: 'open', note: 'in a meeting', activities: ['busy'],
      tuples: [{ id: 'pc', basic: 'open', notes: ['in a meeting'] }], subscription: 'active',
    });
    assert.deepEqual(Object.keys(presence), ['event', 'buddy', 'basic', 'note', 'activities', 'tuples', 'subscription']);

    await fromBob(peer, TYPING, 'application/im-iscomposing+xml');
    const typing = parse(await c.line(/"event":"typing"/));
    assert.deepEqual(Object.keys(typing), ['event', 'from', 'state']);
    assert.deepEqual(typing, { event: 'typing', from: 'sip:bob@example.com', state: 'active' });

    await fromBob(peer, 'hi alice', 'text/plain');
    const message = parse(await c.line(/"event":"message"/));
    assert.deepEqual(Object.keys(message), ['event', 'from', 'to', 'contentType', 'body']);
    assert.deepEqual(message, { event: 'message', from: 'sip:bob@example.com', to: AOR, contentType: 'text/plain', body: 'hi alice' });
    // The message ends bob's typing (RFC 3994 4): an idle typing event follows.
    assert.match(await c.line(/"event":"typing".*"idle"/), /^\{"event":"typing","from":"sip:bob@example\.com","state":"idle"\}$/);

    await fromBob(peer, 'From: <sip:bob@example.com>\r\nDateTime: 2026-01-01T00:00:00Z\r\n\r\nContent-Type: text/plain\r\n\r\nwrapped', 'message/cpim');
    const cpim = parse(await c.line(/"body":"wrapped"/));
    assert.deepEqual(cpim, { event: 'message', from: 'sip:bob@example.com', to: AOR, contentType: 'text/plain', body: 'wrapped', dateTime: '2026-01-01T00:00:00Z' });

    await notify(peer, peer.of('SUBSCRIBE')[0], 'terminated;reason=rejected');
    const ended = parse(await c.line(/"subscription":"terminated"/));
    assert.equal(ended.reason, 'rejected');

    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 0, c.stderr());
    const lines = c.stdout().trim().split('\n');
    assert.ok(lines.every((l) => l.startsWith('{"event":"')), c.stdout());
    assert.deepEqual(parse(lines.at(-1) as string), { event: 'unregistered', aor: AOR, reason: 'requested' });
  });
});
