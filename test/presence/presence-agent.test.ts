// The presence agent's NOTIFY order (presence-agent.ts): one NOTIFY in flight per subscription
// (RFC 6665 4.2.2), the terminated one included, and a failed NOTIFY handled once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../../src/sip/message.js';
import { startServer } from '../helpers/server.js';
import { PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';

type RunningServer = Awaited<ReturnType<typeof startServer>>;

async function withServer(run: (srv: RunningServer, port: number) => Promise<void>): Promise<void> {
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  try {
    await run(srv, srv.port('udp'));
  } finally {
    await srv.stop();
  }
}

function isNotify(m: SipMessage): boolean {
  return m.kind === 'request' && m.method === 'NOTIFY';
}

test('an unsubscribe while a NOTIFY is unanswered: the terminated NOTIFY waits for it, it does not overtake it', () => withServer(async (_srv, port) => {
  const bob = await PresencePeer.open('udp', HOST, port, 'bob');
  try {
    const { response, dialog } = await bob.subscribe(`sip:alice@${HOST}`);
    assert.equal(response.status, 200);
    const first = await bob.notify(null);
    assert.equal((await bob.resubscribe(dialog, 0)).status, 200);
    // What comes next is the first NOTIFY again (retransmitted: still unanswered), not CSeq 2.
    const next = await bob.sip.next(isNotify, 3000, 'NOTIFY');
    assert.equal(next.cseq().seq, first.cseq().seq, `got CSeq ${next.cseq().seq} (${next.subscriptionState()?.state}) before CSeq ${first.cseq().seq} was answered`);
    bob.sip.respond(next, 200);
    const last = await bob.sip.next((m) => isNotify(m) && m.cseq().seq !== first.cseq().seq, 3000, 'terminated NOTIFY');
    assert.equal(last.cseq().seq, first.cseq().seq + 1);
    assert.equal(last.subscriptionState()?.state, 'terminated');
    bob.sip.respond(last, 200);
  } finally {
    bob.close();
  }
}));

test('the NOTIFY in flight failing after an unsubscribe counts once and tells the winfo watchers once', () => withServer(async (srv, port) => {
  const alice = await PresencePeer.open('udp', HOST, port, 'alice');
  const bob = await PresencePeer.open('udp', HOST, port, 'bob');
  const carol = await PresencePeer.open('udp', HOST, port, 'carol');
  try {
    assert.equal((await alice.subscribe(alice.aor, { event: 'presence.winfo' })).response.status, 200);
    await alice.notify();
    const { dialog } = await bob.subscribe(alice.aor);
    await alice.notifyUntil((n) => n.body.toString().includes(bob.aor));
    const first = await bob.notify(null);
    assert.equal((await bob.resubscribe(dialog, 0)).status, 200);
    const gone = await alice.notify();
    assert.doesNotMatch(gone.body.toString(), new RegExp(bob.aor), 'bob is off the watcher list');
    // The unanswered NOTIFY now fails (RFC 6665 4.2.2: it would end the subscription, ended already).
    const retransmitted = await bob.sip.next((m) => isNotify(m) && m.cseq().seq === first.cseq().seq, 3000, 'NOTIFY retransmission');
    bob.sip.respond(retransmitted, 481);
    assert.equal((await carol.subscribe(alice.aor)).response.status, 200);
    // The next winfo NOTIFY is about carol: no second one for bob's end.
    const next = await alice.notify();
    assert.match(next.body.toString(), new RegExp(carol.aor), 'the winfo NOTIFY after bob\'s end is carol\'s, not a repeat');
    assert.equal(srv.server.controlContext().presence?.counts().notifyFailures, 1);
  } finally {
    for (const p of [alice, bob, carol]) p.close();
  }
}));
