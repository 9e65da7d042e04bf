// Timer C (RFC 3261 16.6 step 11, 16.8) end to end, shortened through the `timerCMs` setting (issue
// 4, gap 4). 16.8: when Timer C fires on a branch that has had a provisional response the proxy MUST
// CANCEL it; on a branch without one it MUST behave as if a 408 had come (and a CANCEL is not allowed
// before a provisional, 9.1). Timer C restarts with every provisional. Two consequences tested here:
// a branch given up with 408 that starts ringing later is CANCELled then (9.1: the CANCEL waits for
// the provisional), and a CANCEL the callee never answers ends the branch after 64*T1 (9.1).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipMessage } from '../../src/sip/message.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { newCallId, newTag, SipEndpoint, type RequestSpec } from '../helpers/sip-endpoint.js';

const TIMER_C = 600;
const T1 = 40;

const invite = (to: string): RequestSpec => ({
  method: 'INVITE', uri: `sip:${to}@example.com`, from: 'sip:alice@example.com', to: `sip:${to}@example.com`,
  fromTag: newTag(), callId: newCallId(), cseq: 1, contact: true,
});

const isCancel = (m: SipMessage): boolean => m.kind === 'request' && m.method === 'CANCEL';

describe('Timer C on proxied INVITEs (auth off, Timer C 600 ms, T1 40 ms)', () => {
  let srv: RunningServer;
  const peers: SipEndpoint[] = [];
  const open = async (): Promise<SipEndpoint> => {
    const p = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
    peers.push(p);
    return p;
  };
  const callee = async (user: string): Promise<SipEndpoint> => {
    const p = await open();
    assert.equal((await p.register(user, undefined)).status, 200);
    return p;
  };

  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, t1Ms: T1, timerCMs: TIMER_C, auth: false });
  });
  after(async () => {
    for (const p of peers) p.close();
    await srv.stop();
  });

  test('no provisional when Timer C fires: 408 upstream at Timer C (not Timer B); ringing later gets a CANCEL', async () => {
    const alice = await open();
    const bob = await callee('bob');
    const spec = invite('bob');
    const t0 = Date.now();
    alice.sendRequest(spec);
    const inv = await bob.nextRequest('INVITE');
    const timeout = await alice.nextResponse('INVITE', 200, 699, 5000);
    const elapsed = Date.now() - t0;
    assert.equal(timeout.status, 408);
    assert.ok(elapsed >= TIMER_C - 50 && elapsed < 64 * T1, `408 after ${elapsed} ms: Timer C, before Timer B (${64 * T1} ms)`);
    alice.ackNon2xx(spec, timeout);
    assert.equal(await bob.gets(isCancel, 100), false, 'no CANCEL without a provisional (9.1)');
    // bob starts ringing after all: the branch was given up, so it is CANCELled now.
    const tag = newTag();
    bob.respond(inv, 180, { toTag: tag });
    const cancel = await bob.nextRequest('CANCEL');
    assert.equal(cancel.topVia()?.branch, inv.topVia()?.branch);
    bob.respond(cancel, 200);
    bob.respond(inv, 487, { toTag: tag });
    await bob.nextRequest('ACK');
    assert.equal(await alice.gets((m) => m.kind === 'response' && (m.status ?? 0) > 100 && m.status !== 408, 200), false,
      'the 180 and the 487 stay with the proxy');
  });

  test('a provisional: Timer C restarts with each one, then CANCEL downstream and the 487 goes up', async () => {
    const alice = await open();
    const carol = await callee('carol');
    const spec = invite('carol');
    alice.sendRequest(spec);
    const inv = await carol.nextRequest('INVITE');
    const tag = newTag();
    carol.respond(inv, 180, { toTag: tag });
    await new Promise((r) => setTimeout(r, TIMER_C / 2));
    carol.respond(inv, 180, { toTag: tag });
    const last = Date.now();
    const cancel = await carol.nextRequest('CANCEL', 3000);
    const waited = Date.now() - last;
    assert.ok(waited >= TIMER_C - 100, `CANCEL ${waited} ms after the last 180: Timer C restarted with it`);
    assert.equal(cancel.topVia()?.branch, inv.topVia()?.branch);
    carol.respond(cancel, 200);
    carol.respond(inv, 487, { toTag: tag });
    const final = await alice.nextResponse('INVITE', 200, 699);
    assert.equal(final.status, 487);
    alice.ackNon2xx(spec, final);
  });

  test('a CANCEL the callee never answers: after 64*T1 the branch is over and the caller gets 408 (9.1)', async () => {
    const alice = await open();
    const dave = await callee('dave');
    const spec = invite('dave');
    alice.sendRequest(spec);
    const inv = await dave.nextRequest('INVITE');
    dave.respond(inv, 180, { toTag: newTag() });
    await dave.nextRequest('CANCEL', 3000);
    const cancelledAt = Date.now();
    const final = await alice.nextResponse('INVITE', 200, 699, 64 * T1 + 2000);
    assert.equal(final.status, 408);
    assert.ok(Date.now() - cancelledAt >= 64 * T1 - 100, 'not before 64*T1');
    alice.ackNon2xx(spec, final);
  });
});

test('a callee that rings and then ignores our CANCEL leaves no transaction behind (9.1: destroyed after 64*T1)', async () => {
  // Its INVITE client transaction is in Proceeding, which has no timer of its own: it stayed for
  // ever, so each such call leaked one (found by flooding INVITE + CANCEL). Own server: nothing else counts.
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, t1Ms: T1, timerCMs: TIMER_C, auth: false });
  const alice = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  const erin = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  try {
    assert.equal((await erin.register('erin', undefined)).status, 200);
    const spec = invite('erin');
    alice.sendRequest(spec);
    const inv = await erin.nextRequest('INVITE');
    erin.respond(inv, 180, { toTag: newTag() });
    await erin.nextRequest('CANCEL', 3000);
    const final = await alice.nextResponse('INVITE', 200, 699, 64 * T1 + 2000);
    assert.equal(final.status, 408);
    alice.ackNon2xx(spec, final);
    const deadline = Date.now() + 64 * T1 + 2000;
    while (srv.server.transactions.counts().client > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(srv.server.transactions.counts().client, 0, 'neither the INVITE nor the CANCEL transaction is left');
  } finally {
    alice.close();
    erin.close();
    await srv.stop();
  }
});
