// The control API over HTTP on 127.0.0.1 (ephemeral port), against a fake ControlContext.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../src/control/control-server.js';
import { binding, fakeContext, FakeLocation, type FakeContext } from './fake-context.js';
import { call } from './http.js';

let location: FakeLocation;
let context: FakeContext;
let server: ControlServer;
let port: number;

before(async () => {
  location = new FakeLocation();
  context = fakeContext(location);
  server = new ControlServer(context);
  port = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
});

after(() => server.close());

function reset(): void {
  location.table.clear();
  location.add(
    binding({ aor: 'sip:alice@example.com', contact: 'sip:alice@192.0.2.10:5060' }),
    binding({ aor: 'sip:alice@example.com', contact: 'sip:alice@192.0.2.11:5060', q: 0.5 }),
    binding({ aor: 'sip:bob@example.com', contact: 'sip:bob@[2001:db8::2]:5060', received: { protocol: 'udp', address: '2001:db8::2', port: 5060 } }),
  );
}

test('GET /ul streams every binding as NDJSON, one per line', async () => {
  reset();
  const answer = await call(port, 'GET', '/ul');
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['content-type'], 'application/x-ndjson');
  assert.equal(answer.headers['transfer-encoding'], 'chunked');
  const lines = answer.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { aor: string; contact: string; received: string });
  assert.deepEqual(lines.map((b) => b.contact), ['sip:alice@192.0.2.10:5060', 'sip:alice@192.0.2.11:5060', 'sip:bob@[2001:db8::2]:5060']);
  assert.equal(lines[2].received, 'udp:[2001:db8::2]:5060');
});

test('GET /ul of an empty table is an empty 200', async () => {
  location.table.clear();
  const answer = await call(port, 'GET', '/ul');
  assert.equal(answer.status, 200);
  assert.equal(answer.text, '');
});

test('GET /ul/:aor normalizes the AOR; unknown AOR is 404 with a JSON error', async () => {
  reset();
  const answer = await call(port, 'GET', `/ul/${encodeURIComponent('alice@EXAMPLE.com')}`);
  assert.equal(answer.status, 200);
  const bindings = JSON.parse(answer.text) as Array<{ aor: string }>;
  assert.equal(bindings.length, 2);
  assert.equal(bindings[0].aor, 'sip:alice@example.com');
  const missing = await call(port, 'GET', `/ul/${encodeURIComponent('sip:carol@example.com')}`);
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.text), { error: 'sip:carol@example.com has no bindings' });
  const bad = await call(port, 'GET', `/ul/${encodeURIComponent('tel:+1234')}`);
  assert.equal(bad.status, 400);
});

test('DELETE /ul/:aor removes all bindings or one contact, reason admin; 404 when nothing matched', async () => {
  reset();
  const one = await call(port, 'DELETE', `/ul/sip%3Aalice%40example.com?contact=${encodeURIComponent('sip:alice@192.0.2.11:5060')}`);
  assert.equal(one.status, 200);
  assert.deepEqual(JSON.parse(one.text), { aor: 'sip:alice@example.com', removed: 1 });
  assert.deepEqual(location.removals.at(-1), { aor: 'sip:alice@example.com', contact: 'sip:alice@192.0.2.11:5060', reason: 'admin' });
  const all = await call(port, 'DELETE', '/ul/bob%40example.com');
  assert.deepEqual(JSON.parse(all.text), { aor: 'sip:bob@example.com', removed: 1 });
  const none = await call(port, 'DELETE', '/ul/bob%40example.com');
  assert.equal(none.status, 404);
  const typo = await call(port, 'DELETE', `/ul/bob%40example.com?contact=${encodeURIComponent('sip:bob@<x>')}`);
  assert.equal(typo.status, 400);
  assert.match(typo.text, /not a contact URI/);
});

test('users: add (201, then 409), list by domain, change password, remove (then 404)', async () => {
  const added = await call(port, 'POST', '/users', { json: { user: 'alice@Example.com', password: 's3cret' } });
  assert.equal(added.status, 201);
  assert.deepEqual(JSON.parse(added.text), { user: 'alice@example.com' });
  assert.equal(context.users.users.get('alice@example.com')?.password, 's3cret');
  assert.equal((await call(port, 'POST', '/users', { json: { user: 'alice@example.com', password: 'x' } })).status, 409);
  await call(port, 'POST', '/users', { json: { user: 'bob@example.org', password: 'x' } });

  const listed = await call(port, 'GET', '/users?domain=EXAMPLE.com');
  assert.deepEqual(JSON.parse(listed.text), [
    { user: 'alice@example.com', username: 'alice', domain: 'example.com', createdAt: '2026-01-02T03:04:05.000Z' },
  ]);
  assert.equal((JSON.parse((await call(port, 'GET', '/users')).text) as unknown[]).length, 2);

  const changed = await call(port, 'PUT', '/users/alice%40example.com/password', { json: { password: 'n3w' } });
  assert.equal(changed.status, 200);
  assert.equal(context.users.users.get('alice@example.com')?.password, 'n3w');
  assert.equal((await call(port, 'PUT', '/users/nobody%40example.com/password', { json: { password: 'n3w' } })).status, 404);

  assert.equal((await call(port, 'DELETE', '/users/alice%40example.com')).status, 200);
  assert.equal((await call(port, 'DELETE', '/users/alice%40example.com')).status, 404);
});

test('bad requests: missing fields 400, not JSON 400, wrong content type 415, bad user 400', async () => {
  assert.equal((await call(port, 'POST', '/users', { json: { user: 'dave@example.com' } })).status, 400);
  assert.equal((await call(port, 'POST', '/users', { json: { user: 'dave', password: 'x' } })).status, 400);
  assert.equal((await call(port, 'POST', '/users', { json: [1] })).status, 400);
  const notJson = await call(port, 'POST', '/users', { headers: { 'content-type': 'application/json' } });
  assert.equal(notJson.status, 400);
  // A web page can POST text/plain to 127.0.0.1 without a preflight; it must not add users.
  const form = await call(port, 'POST', '/users', { headers: { 'content-type': 'text/plain' } });
  assert.equal(form.status, 415);
});

test('unknown endpoint 404, wrong method 405 with Allow', async () => {
  assert.equal((await call(port, 'GET', '/nothing')).status, 404);
  const wrong = await call(port, 'POST', '/stats');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.allow, 'GET');
});

test('a Host header naming something else than loopback is refused (DNS rebinding)', async () => {
  const rebound = await call(port, 'GET', '/stats', { headers: { host: `attacker.example:${port}` } });
  assert.equal(rebound.status, 403);
  assert.match(rebound.text, /loopback host/);
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
    assert.equal((await call(port, 'GET', '/stats', { headers: { host } })).status, 200, host);
  }
});

test('GET /stats: counts, counters, transactions, memory, uptime, listeners', async () => {
  reset();
  context.stats.registrationsAccepted = 12;
  context.stats.registrationsRejected = 2;
  context.stats.authFailures = 4;
  const stats = JSON.parse((await call(port, 'GET', '/stats')).text) as Record<string, unknown>;
  assert.equal(stats.bindings, 3);
  assert.equal(stats.aors, 2);
  assert.equal(stats.registrationsAccepted, 12);
  assert.equal(stats.registrationsRejected, 2);
  assert.equal(stats.authFailures, 4);
  assert.deepEqual(stats.transactions, { server: 3, client: 1 });
  assert.ok((stats.memory as { rss: number }).rss > 0);
  assert.equal(typeof stats.uptimeSeconds, 'number');
  assert.deepEqual(stats.listeners, ['udp [::]:5060 (IPv4 and IPv6)', 'tcp 127.0.0.1:5060 (IPv4 only)']);
});

test('GET /metrics: Prometheus text with simplesip metrics read at scrape time and default process metrics', async () => {
  reset();
  context.stats.registrationsAccepted = 5;
  context.stats.authFailures = 1;
  const first = await call(port, 'GET', '/metrics');
  assert.equal(first.status, 200);
  assert.match(first.headers['content-type'] ?? '', /^text\/plain; version=0\.0\.4/);
  assert.match(first.text, /^simplesip_registrations_total\{result="accepted"\} 5$/m);
  assert.match(first.text, /^simplesip_registrations_total\{result="rejected"\} \d+$/m);
  assert.match(first.text, /^simplesip_auth_failures_total 1$/m);
  assert.match(first.text, /^simplesip_bindings 3$/m);
  assert.match(first.text, /^simplesip_aors 2$/m);
  assert.match(first.text, /^simplesip_transactions\{kind="server"\} 3$/m);
  assert.match(first.text, /^process_resident_memory_bytes \d+/m);
  assert.match(first.text, /^nodejs_eventloop_lag_seconds /m);
  // Counters follow the plain numbers, not how often they were scraped.
  context.stats.registrationsAccepted = 6;
  const second = await call(port, 'GET', '/metrics');
  assert.match(second.text, /^simplesip_registrations_total\{result="accepted"\} 6$/m);
});

test('listen refuses a non-loopback address; a port in use is a clear error', async () => {
  const other = new ControlServer(fakeContext());
  await assert.rejects(other.listen({ host: '0.0.0.0', port: 0 }), /loopback only, not 0\.0\.0\.0/);
  await assert.rejects(other.listen({ host: '127.0.0.1', port }), new RegExp(`cannot listen for the control API on 127\\.0\\.0\\.1:${port}: address already in use`));
});

test('listens on ::1 too', async () => {
  const v6 = new ControlServer(fakeContext());
  const address = await v6.listen({ host: '::1', port: 0 });
  try {
    assert.equal(address.host, '::1');
  } finally {
    await v6.close();
  }
});

test('listening on ::ffff:127.0.0.1 reports 127.0.0.1, never ::ffff: (what `control API on` prints)', async () => {
  const mapped = new ControlServer(fakeContext());
  const address = await mapped.listen({ host: '::ffff:127.0.0.1', port: 0 });
  try {
    assert.equal(address.host, '127.0.0.1');
    assert.equal((await call(address.port, 'GET', '/stats')).status, 200, 'reachable at 127.0.0.1');
  } finally {
    await mapped.close();
  }
});

test('DELETE /msg/ID takes decimal digits only: 0x2, 3e0, 0b101 and " 4 " are 400, not another message removed', async () => {
  const removed: number[] = [];
  context.messages = { messages: async function* () { /* none */ }, count: 0, removeAll: async () => 0, remove: async (id: number) => { removed.push(id); return true; } };
  try {
    for (const id of ['0x2', '3e0', '0b101', '%204%20', '1.5', '-1', '0']) {
      const answer = await call(port, 'DELETE', `/msg/${id}`);
      assert.equal(answer.status, 400, id);
      assert.match(answer.text, /not a message id/);
    }
    assert.deepEqual(removed, [], 'nothing removed');
    assert.equal((await call(port, 'DELETE', '/msg/7')).status, 200);
    assert.deepEqual(removed, [7]);
  } finally {
    context.messages = undefined;
  }
});
