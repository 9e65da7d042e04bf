// Starts a simplesip server inside the test process, on ephemeral ports.
import type { Writable } from 'node:stream';
import { pino } from 'pino';
import { defaultServerConfig, type ServerConfig } from '../../src/server/config.js';
import { SipServer } from '../../src/server/sip-server.js';
import type { ListenerInfo } from '../../src/transport/types.js';

export interface RunningServer {
  server: SipServer;
  listeners: ListenerInfo[];
  /** The listener of this protocol (first one). */
  port(protocol: string): number;
  stop(): Promise<void>;
}

export async function startServer(overrides: Partial<ServerConfig> = {}, traceOut?: Writable): Promise<RunningServer> {
  const config = { ...defaultServerConfig(), listen: ['udp:127.0.0.1:0'], store: 'memory' as const, ...overrides };
  const server = new SipServer(config, pino({ level: process.env.SIMPLESIP_TEST_LOG ?? 'silent' }), traceOut);
  const listeners = await server.start();
  return {
    server,
    listeners,
    port(protocol: string): number {
      const l = listeners.find((x) => x.protocol === protocol);
      if (!l) throw new Error(`no ${protocol} listener`);
      return l.port;
    },
    stop: () => server.stop(),
  };
}
