// A bare TCP registrar for client tests: the project's framer and parser on a node:net server, so a
// test decides per connection whether CRLFCRLF pings get their pong (ScriptedPeer's transport always
// answers them). Every REGISTER gets a 200 with its Contact, and `Require: outbound` when told.
import { createServer, type Socket } from 'node:net';
import { createResponse } from '../../src/sip/builder.js';
import { StreamFramer } from '../../src/sip/framing.js';
import { parseMessage } from '../../src/sip/parser.js';

export interface RegistrarConnection { socket: Socket; registers: number; pings: number; closed: boolean; answersPings: boolean }

export interface TcpRegistrar {
  port: number;
  connections: RegistrarConnection[];
  close(): Promise<void>;
}

export async function tcpRegistrar(options: { grantsOutbound: boolean; answersPings: boolean }): Promise<TcpRegistrar> {
  const connections: RegistrarConnection[] = [];
  const server = createServer((socket) => {
    const connection: RegistrarConnection = { socket, registers: 0, pings: 0, closed: false, answersPings: options.answersPings };
    connections.push(connection);
    const framer = new StreamFramer();
    socket.on('error', () => {});
    socket.on('close', () => { connection.closed = true; });
    socket.on('data', (chunk: Buffer) => {
      for (const event of framer.push(chunk)) {
        if (event.type === 'ping') {
          connection.pings++;
          if (connection.answersPings) socket.write('\r\n');
        }
        if (event.type !== 'message') continue;
        const request = parseMessage(event.data);
        if (!('method' in request) || request.method !== 'REGISTER') continue;
        connection.registers++;
        const headers: Array<[string, string]> = [['Contact', `${request.header('contact') as string};expires=600`]];
        if (options.grantsOutbound) headers.push(['Require', 'outbound']);
        socket.write(createResponse(request, 200, undefined, { headers }).toBuffer());
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
