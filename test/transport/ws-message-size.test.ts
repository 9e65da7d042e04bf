// A SIP message over --max-message-size arriving over WebSocket gets 513 Message Too Large
// (RFC 3261 21.5.14), as over UDP and TCP, and the connection stays open (RFC 7118 datagram rules);
// only a WebSocket message over twice the limit closes it, with 1009 (RFC 6455 7.4.1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startServer } from '../helpers/server.js';
import { optionsRequest } from './wire.js';

function withBody(request: string, size: number): string {
  const body = 'x'.repeat(size);
  return request.replace('Content-Length: 0\r\n\r\n', `Content-Length: ${size}\r\nContent-Type: text/plain\r\n\r\n${body}`);
}

test('ws: over maxMessageSize is 513 on an open connection; over twice the limit closes with 1009', async (t) => {
  const srv = await startServer({ listen: ['ws:127.0.0.1:0'], maxMessageSize: 2000, probeIntervalSeconds: 0 });
  t.after(() => srv.stop());
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port('ws')}`, ['sip']);
  t.after(() => ws.terminate());
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const replies: string[] = [];
  ws.on('message', (data) => replies.push(String(data)));
  const next = async (): Promise<string> => {
    const deadline = Date.now() + 2000;
    while (replies.length === 0) {
      if (Date.now() > deadline) throw new Error('no answer within 2 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return replies.shift() as string;
  };
  const target = `sip:127.0.0.1:${srv.port('ws')}`;
  ws.send(withBody(optionsRequest(target, 'WS x.invalid', { callId: 'too-big' }), 3000));
  const answer = await next();
  assert.match(answer, /^SIP\/2\.0 513 Message Too Large\r\n/);
  assert.match(answer, /\r\nCall-ID: too-big\r\n/);
  ws.send(optionsRequest(target, 'WS x.invalid', { callId: 'after' }));
  assert.match(await next(), /^SIP\/2\.0 200 OK\r\n[\s\S]*Call-ID: after\r\n/, 'the same connection still carries requests');
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.send(withBody(optionsRequest(target, 'WS x.invalid'), 5000));
  assert.equal(await closed, 1009);
});
