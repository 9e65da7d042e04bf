// One in-process server for a whole test file (started in `before`, stopped in `after`) and the
// SipEndpoints the tests open against it, closed with it.
import { after, before } from 'node:test';
import type { ServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from './server.js';
import { SipEndpoint, type EndpointProtocol } from './sip-endpoint.js';

export interface ServerWithPeers {
  readonly srv: RunningServer;
  /** A new endpoint talking to the server over `protocol` (from 127.0.0.1 by default). */
  open(protocol?: EndpointProtocol, host?: string, ca?: string): Promise<SipEndpoint>;
}

export function serverWithPeers(config: Partial<ServerConfig>): ServerWithPeers {
  let running: RunningServer | undefined;
  const peers: SipEndpoint[] = [];
  before(async () => {
    running = await startServer(config);
  });
  after(async () => {
    for (const p of peers) p.close();
    await running?.stop();
  });
  const self: ServerWithPeers = {
    get srv(): RunningServer {
      if (running === undefined) throw new Error('the server starts in before()');
      return running;
    },
    async open(protocol = 'udp', host = '127.0.0.1', ca?: string): Promise<SipEndpoint> {
      const p = await SipEndpoint.open(protocol, host, self.srv.port(protocol), ca);
      peers.push(p);
      return p;
    },
  };
  return self;
}
