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
  assert.equal(sources.pending('0.0.0.0', '127.0.0.1'), undefined);
  assert.equal(sources.pending('198.51.100.7', '203.0.113.9'), undefined, 'a bound socket needs no route');
  sources.warm('0.0.0.0', '127.0.0.1');
  sources.warm('198.51.100.7', '203.0.113.9');
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

test('before the route is known, and when it cannot be, an address of the peer family stands in; a failure is not probed again at once', async () => {
  let probes = 0;
  const sources = new SourceAddresses(async () => { probes++; throw new Error('ENETUNREACH'); });
  const first = sources.toward('::', '2001:db8::9');
  assert.equal(first.includes(':'), true, `an IPv6 address for an IPv6 peer, got ${first}`);
  await sources.pending('::', '2001:db8::9');
  assert.equal(sources.pending('::', '2001:db8::9'), undefined, 'the failure is known: nothing to wait for');
  assert.equal(sources.toward('::', '2001:db8::9'), first, 'a failed probe leaves the stand-in, no crash');
  assert.equal(probes, 1);
});

test('warm() costs one lookup for a known peer; entries go stale after 5 minutes and are learned again; the oldest is forgotten first', async () => {
  let now = 0;
  const asked: string[] = [];
  const sources = new SourceAddresses(async (peer) => { asked.push(peer); return `192.0.2.${asked.length}`; }, 2, () => now);
  sources.warm('0.0.0.0', '198.51.100.1');
  sources.warm('::', '198.51.100.1');
  await sources.pending('0.0.0.0', '198.51.100.1');
  sources.warm('0.0.0.0', '198.51.100.1');
  assert.deepEqual(asked, ['198.51.100.1']);
  assert.equal(sources.toward('0.0.0.0', '198.51.100.1'), '192.0.2.1');
  now += 5 * 60_000 + 1;
  assert.equal(sources.toward('0.0.0.0', '198.51.100.1'), '192.0.2.1', 'the stale address until the new one is known');
  await sources.pending('0.0.0.0', '198.51.100.1');
  assert.equal(sources.toward('0.0.0.0', '198.51.100.1'), '192.0.2.2');
  await sources.learn('198.51.100.2');
  await sources.learn('198.51.100.3'); // the limit is 2: 198.51.100.1, the oldest, goes
  assert.notEqual(sources.pending('0.0.0.0', '198.51.100.1'), undefined);
  assert.equal(sources.pending('0.0.0.0', '198.51.100.3'), undefined);
});

test('the kernel answers the route source without sending anything; no route is a failure, never a wildcard', async () => {
  assert.equal(await routedSourceAddress('127.0.0.1', 4), '127.0.0.1');
  assert.equal(await routedSourceAddress('::1', 6), '::1');
  // A link-local address without its zone has no route: connect fails (it used to read back "::").
  await assert.rejects(routedSourceAddress('fe80::1', 6));
  const sources = new SourceAddresses();
  await sources.pending('::', 'fe80::1');
  assert.notEqual(sources.toward('::', 'fe80::1'), '::');
});
