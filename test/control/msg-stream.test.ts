// GET /msg (`ctl msg list`) streams its JSON array: a listing of 50 MB of stored bodies keeps the
// server answering meanwhile (a 5 ms timer stays on time), where building it as one string held the
// event loop for a quarter of a second. README "simplesip ctl": the answer is still one JSON array.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OfflineMessageView } from '../../src/control/api-types.js';
import { ControlServer } from '../../src/control/control-server.js';
import type { OfflineMessage } from '../../src/store/types.js';
import { fakeContext } from './fake-context.js';
import { call } from './http.js';

/** The store's messages(): each message as the listing comes to it (read from disk by sqlite). */
async function* each(messages: OfflineMessage[]): AsyncIterableIterator<OfflineMessage> {
  yield* messages;
}

test('GET /msg of 50 MB streams: the event loop is never held for long, and the array is whole', async (t) => {
  const body = Buffer.from('x'.repeat(32 * 1024 - 10) + '"\\\u00e9\n\u0000end');
  const messages: OfflineMessage[] = [];
  for (let i = 1; i <= 1600; i++) {
    messages.push({ id: i, aor: `sip:u${i % 7}@example.com`, from: '<sip:alice@example.com>', receivedAt: i, expiresAt: 9e12, contentType: 'text/plain', body });
  }
  const context = {
    ...fakeContext(),
    messages: { messages: () => each(messages), remove: async () => false, removeAll: async () => 0, count: messages.length },
  };
  const server = new ControlServer(context);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => server.close());

  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 5);
    last = now;
  }, 5);
  const answer = await call(port, 'GET', '/msg');
  clearInterval(timer);

  assert.equal(answer.status, 200);
  assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
  const listed = JSON.parse(answer.text) as OfflineMessageView[];
  assert.equal(listed.length, 1600);
  assert.deepEqual(listed.map((m) => m.id), messages.map((m) => m.id));
  assert.equal(listed[1599].body, body.toString('utf8'));
  assert.ok(answer.text.length > 50_000_000);
  assert.ok(worst < 100, `a 5 ms timer was ${worst.toFixed(0)} ms late while /msg was written`);
});

test('GET /msg shows the headers stored with each body (Content-Encoding, Subject, ...), [] when none', async (t) => {
  const messages: OfflineMessage[] = [
    { id: 1, aor: 'sip:bob@example.com', from: '<sip:alice@example.com>', receivedAt: 1, expiresAt: 9e12, contentType: 'text/plain', body: Buffer.from('gz'),
      headers: [['Content-Encoding', 'gzip'], ['Subject', 'lunch']] },
    { id: 2, aor: 'sip:bob@example.com', from: '<sip:alice@example.com>', receivedAt: 2, expiresAt: 9e12, body: Buffer.from('plain') },
  ];
  const server = new ControlServer({ ...fakeContext(), messages: { messages: () => each(messages), remove: async () => false, removeAll: async () => 0, count: 2 } });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const listed = JSON.parse((await call(port, 'GET', '/msg')).text) as OfflineMessageView[];
  assert.deepEqual(listed.map((m) => m.headers), [[['Content-Encoding', 'gzip'], ['Subject', 'lunch']], []]);
});
