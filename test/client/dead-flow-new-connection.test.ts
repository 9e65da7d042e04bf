// RFC 5626 4.5: when a TCP flow fails (its CRLFCRLF pings get no pong), the client forms a new flow:
// it closes the failed connection and registers over a new one, not again over the connection
// that stopped answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { createResponse } from '../../src/sip/builder.js';
import { StreamFramer } from '../../src/sip/framing.js';
import { parseMessage } from '../../src/sip/parser.js';
import { newUa } from './helpers.js';
import { until } from './scripted-peer.js';

interface PeerConnection { socket: Socket; registers: number; closed: boolean; answersPings: boolean }

/** A TCP registrar that grants every REGISTER an outbound flow and pongs pings where told to. */
async function tcpRegistrar(): Promise<{ port: number; connections: PeerConnection[]; close: () => Promise<void> }> {
  const connections: PeerConnection[] = [];
  const server = createServer((socket) => {
    const connection: PeerConnection = { socket, registers: 0, closed: false, answersPings: true };
    connections.push(connection);
    const framer = new StreamFramer();
    socket.on('error', () => {});
    socket.on('close', () => { connection.closed = true; });
    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.type === 'ping' && connection.answersPings) socket.write('\r\n');
        if (event.type !== 'message') continue;
        const request = parseMessage(event.data);
        if (!('method' in request) || request.method !== 'REGISTER') continue;
        connection.registers++;
        const contact = request.header('contact') as string;
        socket.write(createResponse(request, 200, undefined, { headers: [['Contact', `${contact};expires=600`], ['Require', 'outbound']] }).toBuffer());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections,
    close: () => new Promise((resolve) => { for (const c of connections) c.socket.destroy(); server.close(() => resolve()); }),
  };
}

test('a TCP flow whose pings go unanswered: its connection is closed and the new REGISTER comes on a new one', async (t) => {
  const registrar = await tcpRegistrar();
  t.after(() => registrar.close());
  const ua = newUa(`sip:127.0.0.1:${registrar.port};transport=tcp`, {
    keepaliveIntervalMs: 50, keepaliveTimeoutMs: 200, backoff: { baseMs: 50, maxMs: 200 },
  });
  t.after(() => ua.close());
  const contacts: string[] = [];
  ua.on('registered', (e) => contacts.push(e.contact));
  await ua.register();
  assert.deepEqual(registrar.connections.map((c) => c.registers), [1]);
  const first = registrar.connections[0];
  first.answersPings = false;
  await until(() => registrar.connections.length >= 2 && registrar.connections[1].registers >= 1, 5000, 'a REGISTER on a new connection');
  await until(() => first.closed, 2000, 'the failed connection closed');
  assert.equal(first.registers, 1, 'no REGISTER on the failed connection after it failed');
  const second = registrar.connections[1];
  assert.notEqual(second.socket.remotePort, first.socket.remotePort);
  await until(() => contacts.length >= 2, 2000, 'registered again');
  assert.match(contacts[1], new RegExp(`:${second.socket.remotePort};transport=tcp$`));
});
