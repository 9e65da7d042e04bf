// RFC 3261 16.10: once an INVITE is cancelled the proxy creates no new branch. A branch still waiting
// for its RFC 3263 answer when the CANCEL comes sends nothing (the callee never rings) and ends as 487.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Branch, type BranchEnv } from '../../src/proxy/branch.js';
import type { DnsResolver } from '../../src/proxy/dns-resolver.js';
import type { OwnAddresses } from '../../src/proxy/own-address.js';
import { ResponseContext, type Answer } from '../../src/proxy/response-context.js';
import { parseMessage } from '../../src/sip/parser.js';
import type { SipMessage } from '../../src/sip/message.js';
import { parseUri, type SipUri } from '../../src/sip/uri.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import type { TransactionLayer } from '../../src/transaction/transaction-layer.js';
import type { SendTarget } from '../../src/transport/types.js';

const INVITE = parseMessage(Buffer.from([
  'INVITE sip:bob@far.example SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa', 'Max-Forwards: 70',
  'From: <sip:alice@example.com>;tag=1', 'To: <sip:bob@far.example>', 'Call-ID: c1', 'CSeq: 1 INVITE', 'Content-Length: 0', '', '',
].join('\r\n'))) as SipMessage;

test('an INVITE branch cancelled while its DNS answer is pending: nothing is sent, the branch ends as 487', async () => {
  let answerDns: (targets: SendTarget[]) => void = () => undefined;
  const sent: SipMessage[] = [];
  const timers = new TimerHeap({ unref: true });
  const env: BranchEnv = {
    transactions: { sendRequest: (request: SipMessage) => { sent.push(request); throw new Error('not in this test'); } } as unknown as TransactionLayer,
    own: { toward: () => ({ protocol: 'udp', host: '192.0.2.5', port: 5060 }) } as unknown as OwnAddresses,
    resolver: { resolve: () => new Promise<SendTarget[]>((resolve) => { answerDns = resolve; }) } as unknown as DnsResolver,
    timers, timerCMs: 181_000, suspect: () => undefined, ownsRealm: () => false, dialogToken: () => 'token', spiralMark: () => '',
  };
  const finals: Answer[] = [];
  const ctx = new ResponseContext({ provisional: () => undefined, final: (a) => finals.push(a) }, true, () => branch.cancel());
  const branch = new Branch(env, ctx, true, () => INVITE.clone(), { kind: 'resolve', uri: parseUri('sip:far.example') as SipUri });
  branch.start();
  ctx.seal();
  branch.cancel(); // the caller's CANCEL (16.10), before DNS answered
  answerDns([{ protocol: 'udp', address: '198.51.100.7', port: 5060 }]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sent, [], 'the INVITE went out after all');
  assert.deepEqual(finals.map((a) => a.status), [487]);
  assert.equal(timers.size, 0, 'no Timer C armed for a branch that never left');
});
