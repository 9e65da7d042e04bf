// Two simplesip clients through simplesip's server (registrar and proxy): MESSAGE both ways, each
// challenged with 407 and answered with Proxy-Authorization (RFC 3261 22.3), the answer reused on
// the next MESSAGE; typing indications (RFC 3994) relayed; presence both ways through the presence
// agent (PUBLISH, SUBSCRIBE/NOTIFY), and a client that quits is seen offline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { IncomingMessage, PresenceEvent, TypingEvent, UserAgent } from '../../src/index.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newUa } from './helpers.js';
import { sleep, until } from './scripted-peer.js';

/** The server's trace (every SIP message in and out), split into messages. */
function trace(): { stream: Writable; messages: () => string[] } {
  let text = '';
  return {
    stream: new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb(); } }),
    messages: () => text.split(/^----- /m),
  };
}

describe('two clients through simplesip server', () => {
  let srv: RunningServer;
  let alice: UserAgent;
  let bob: UserAgent;
  const wire = trace();
  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0', 'tcp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, trace: true }, wire.stream);
    await srv.server.users.add('alice', 'example.com', 'alice-secret');
    await srv.server.users.add('bob', 'example.com', 'bob-secret');
    alice = newUa(`sip:127.0.0.1:${srv.port('udp')}`, { password: 'alice-secret', typingIdleMs: 200 });
    bob = newUa(`sip:127.0.0.1:${srv.port('tcp')};transport=tcp`, { aor: 'sip:bob@example.com', password: 'bob-secret', typingIdleMs: 200 });
    await alice.register();
    await bob.register();
  });
  after(async () => {
    await alice?.close();
    await bob?.close();
    await srv.stop();
  });

  test('MESSAGE both ways (udp <-> tcp): 407, Proxy-Authorization, delivered; the next one reuses the answer', async () => {
    const toBob: IncomingMessage[] = [];
    const toAlice: IncomingMessage[] = [];
    bob.on('message', (m) => toBob.push(m));
    alice.on('message', (m) => toAlice.push(m));
    assert.deepEqual(await alice.sendMessage('bob', 'hi bob'), { status: 200, reason: 'OK', accepted: true });
    assert.deepEqual(await bob.sendMessage('sip:alice@example.com', 'hi alice'), { status: 200, reason: 'OK', accepted: true });
    assert.equal((await alice.sendMessage('bob', 'second')).status, 200);
    await until(() => toBob.length === 2 && toAlice.length === 1, 2000, 'both delivered');
    assert.deepEqual(toBob.map((m) => [m.from, m.to, m.body]), [['sip:alice@example.com', 'sip:bob@example.com', 'hi bob'], ['sip:alice@example.com', 'sip:bob@example.com', 'second']]);
    assert.deepEqual(toAlice.map((m) => [m.from, m.body]), [['sip:bob@example.com', 'hi alice']]);
    // On the wire: each sender's first MESSAGE was challenged (407) and sent again with
    // Proxy-Authorization; alice's second carried the cached answer (nc=2) and was not challenged.
    const messages = wire.messages();
    // Each request once: a retransmission (same Via branch, RFC 3261 17.1.2.2) under a loaded machine is not another request.
    const branchOf = (m: string): string | undefined => /^Via: [^\n]*branch=([^;\s,]+)/mi.exec(m)?.[1];
    const once = (m: string, i: number, all: string[]): boolean => all.findIndex((x) => branchOf(x) === branchOf(m)) === i;
    const received = (from: string): string[] => messages
      .filter((m) => /^\S+ IN /.test(m) && /^MESSAGE sip:\w+@example\.com SIP\/2\.0/m.test(m) && new RegExp(`^From: <sip:${from}@`, 'mi').test(m))
      .filter(once);
    const challenges = messages.filter((m) => /^\S+ OUT /.test(m) && /^SIP\/2\.0 407 /m.test(m)).filter(once);
    assert.equal(challenges.length, 2, 'one 407 per sender');
    const nc = (m: string): string | undefined => /^Proxy-Authorization: Digest .*nc=(\d+)/mi.exec(m)?.[1];
    const a = received('alice');
    assert.deepEqual(a.map(nc), [undefined, '00000001', '00000002']);
    assert.ok(/username="alice"/.test(a[1]) && /uri="sip:bob@example\.com"/.test(a[1]));
    assert.equal(/^CSeq: (\d+)/mi.exec(a[1])?.[1], String(Number(/^CSeq: (\d+)/mi.exec(a[0])?.[1]) + 1), 'the answer is a new transaction');
    assert.deepEqual(received('bob').map(nc), [undefined, '00000001']);
    // RFC 3261 22.2: the answer to the registrar's 401 is for REGISTERs to our own To, not for the
    // MESSAGEs: neither a sender's Authorization nor its Proxy-Authorization reaches the recipient.
    assert.ok(a.every((m) => !/^Authorization:/mi.test(m)), 'alice sent her registrar answer with a MESSAGE');
    const forwarded = messages.filter((m) => /^\S+ OUT /.test(m) && /^MESSAGE /m.test(m));
    assert.equal(forwarded.length, 3);
    assert.ok(forwarded.every((m) => !/^(Proxy-)?Authorization:/mi.test(m)), 'a digest answer reached the recipient');
  });

  test('typing relayed: bob sees alice active, then idle after her idle timeout', async () => {
    const events: TypingEvent[] = [];
    bob.on('typing', (t) => events.push(t));
    alice.composing('bob');
    await until(() => events.length >= 2, 3000, 'active then idle at bob');
    assert.deepEqual(events.map((e) => [e.from, e.state]), [['sip:alice@example.com', 'active'], ['sip:alice@example.com', 'idle']]);
  });

  test('presence both ways: away with a note, busy; and the quitting client is seen closed', async () => {
    const atAlice: PresenceEvent[] = [];
    const atBob: PresenceEvent[] = [];
    alice.on('presence', (p) => atAlice.push(p));
    bob.on('presence', (p) => atBob.push(p));
    await alice.subscribe('bob');
    await bob.subscribe('alice');
    // Registered, never published: the agent says open (RFC 3856 6.8 composes with registration state).
    await until(() => atAlice.some((p) => p.subscription === 'active' && p.basic === 'open'), 3000, 'alice sees bob open');
    await until(() => atBob.some((p) => p.subscription === 'active'), 3000, 'bob watches alice');

    await bob.setPresence({ basic: 'open', note: 'at lunch', activity: 'away' });
    await until(() => atAlice.some((p) => p.note === 'at lunch'), 3000, 'alice sees the note');
    const away = atAlice.find((p) => p.note === 'at lunch') as PresenceEvent;
    assert.equal(away.buddy, 'sip:bob@example.com');
    assert.equal(away.basic, 'open');
    assert.deepEqual(away.activities, ['away']);
    assert.equal(away.subscription, 'active');

    await alice.setPresence({ basic: 'open', activity: 'busy' });
    await until(() => atBob.some((p) => p.activities.includes('busy')), 3000, 'bob sees alice busy');
    assert.equal(atBob.find((p) => p.activities.includes('busy'))?.buddy, 'sip:alice@example.com');

    // bob quits: un-SUBSCRIBE, un-PUBLISH, un-REGISTER; alice sees him closed.
    const seen = atAlice.length;
    await bob.close();
    await until(() => atAlice.slice(seen).some((p) => p.basic === 'closed'), 3000, 'alice sees bob closed');
    await sleep(200);
    const last = atAlice.at(-1) as PresenceEvent;
    assert.equal(last.basic, 'closed');
    assert.equal(last.subscription, 'active');
    assert.equal(srv.server.location.lookup('sip:bob@example.com').length, 0);
  });
});
