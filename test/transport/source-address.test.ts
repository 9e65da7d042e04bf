// Which address of ours we write toward a peer from a wildcard socket: the source of the kernel's
// route to it, learned once per peer (transport/source-address.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routedSourceAddress, SourceAddresses } from '../../src/transport/source-address.js';

test('a bound socket names itself; a loopback peer gets the loopback; no probe for either', async () => {
  let probes = 0;
  const sources = new SourceAddresses(async () => { probes++; return '192.0.2.1'; });
  assert.equal(sources.toward('198.51.100.7', '203.0.113.9'), '198.51.100.7');
  assert.equal(sources.toward('fe80::1%eth1', 'fe80::2'), 'fe80::1', 'no %zone in what goes into SIP');
  assert.equal(sources.toward('0.0.0.0', '127.0.0.5'), '127.0.0.1');
  assert.equal(sources.toward('::', '::1'), '::1');
  assert.equal(sources.toward('::', '::ffff:127.0.0.1'), '127.0.0.1');
  await sources.learn('127.0.0.1');
  assert.equal(probes, 0);
});

test('a wildcard socket names the learned route source toward each peer; one probe per peer', async () => {
  const asked: string[] = [];
  const routes: Record<string, string> = { '198.51.100.2': '198.51.100.1', '192.0.2.2': '192.0.2.1', '2001:db8:1::2': '2001:db8:1::1' };
  const sources = new SourceAddresses(async (peer) => { asked.push(peer); return routes[peer]; });
  await Promise.all([sources.learn('198.51.100.2'), sources.learn('198.51.100.2'), sources.learn('::ffff:192.0.2.2'), sources.learn('2001:db8:1::2')]);
  assert.equal(sources.toward('0.0.0.0', '198.51.100.2'), '198.51.100.1');
  assert.equal(sources.toward('::', '192.0.2.2'), '192.0.2.1');
  assert.equal(sources.toward('::', '::ffff:192.0.2.2'), '192.0.2.1');
  assert.equal(sources.toward('::', '2001:db8:1::2'), '2001:db8:1::1');
  assert.deepEqual(asked.sort(), ['192.0.2.2', '198.51.100.2', '2001:db8:1::2']);
});

test('before the route is known, and when it cannot be, an address of the peer family stands in', async () => {
  const sources = new SourceAddresses(async () => { throw new Error('ENETUNREACH'); });
  const first = sources.toward('::', '2001:db8::9');
  assert.equal(first.includes(':'), true, `an IPv6 address for an IPv6 peer, got ${first}`);
  await sources.learn('2001:db8::9');
  assert.equal(sources.toward('::', '2001:db8::9'), first, 'a failed probe leaves the stand-in, no crash');
});

test('the kernel answers the route source without sending anything', async () => {
  assert.equal(await routedSourceAddress('127.0.0.1', 4), '127.0.0.1');
  assert.equal(await routedSourceAddress('::1', 6), '::1');
});
