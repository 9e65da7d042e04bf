// A server restart seen from a TCP client: the connection closes, the UA opens a new flow and sends
// its REGISTER, and that connection closes too before any answer (the dying process accepted it, or
// the new one fell over). Found by test/interop/server-restart.test.ts, where the client then sat on
// its REGISTER until Timer F (64*T1, 32 s) and was gone from the restarted server all that time.
// A closed flow ends the attempt at once (RFC 5626 4.5: the next one after the backoff).
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResponse } from '../../src/sip/builder.js';
import { StreamFramer } from '../../src/sip/framing.js';
import { parseMessage } from '../../src/sip/parser.js';
import { newUa } from './helpers.js';
import { until } from './scripted-peer.js';

test('a flow that closes while its REGISTER is pending is given up at once, not after Timer F', async (t) => {
  // Connection 1 answers (registered); the test then closes it. Connection 2 takes the REGISTER and
  // closes without a word. Connection 3 answers again.
  const sockets: Socket[] = [];
  const registersOn: number[] = [];
  const server: Server = createServer((socket) => {
    const n = sockets.push(socket);
    const framer = new StreamFramer();
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      for (const ev of framer.push(chunk)) {
        if (ev.type !== 'message') continue;
        const request = parseMessage(ev.data);
        if (!('kind' in request) || request.kind !== 'request') continue;
        if (request.method === 'REGISTER') registersOn.push(n);
        if (n === 2) { socket.destroy(); return; }
        socket.write(createResponse(request, 200).toBuffer());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { for (const s of sockets) s.destroy(); server.close(); });
  const port = (server.address() as { port: number }).port;
  // Default T1: Timer F would be 32 s; the backoff is short so that only Timer F could be slow.
  const ua = newUa(`sip:127.0.0.1:${port};transport=tcp`, { password: undefined, timers: { t1: 500 }, backoff: { baseMs: 200, maxMs: 400 } });
  t.after(() => ua.close(200));
  let registrations = 0;
  ua.on('registered', () => registrations++);
  await ua.register();
  assert.equal(registrations, 1);

  const closedAt = Date.now();
  sockets[0].destroy();
  await until(() => registrations >= 2, 8000, 'registered again on a third connection');
  const took = Date.now() - closedAt;
  assert.deepEqual(registersOn, [1, 2, 3]);
  assert.ok(took < 3000, `registered again ${took} ms after the first close`);
});
