// One in-process server for a whole test file (started in `before`, stopped in `after`) and the
// SipEndpoints the tests open against it, closed with it; or with its control API (serverWithControl).
import { after, before } from 'node:test';
import { ControlServer } from '../../src/control/control-server.js';
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

export interface ServerWithControl {
  readonly srv: RunningServer;
  /** `127.0.0.1:PORT` of its control API, for `ctl --control`. */
  readonly address: string;
}

/** One in-process server and its control API on loopback for a whole test file (started in `before`, closed in `after`). */
export function serverWithControl(config: Partial<ServerConfig>): ServerWithControl {
  let running: { srv: RunningServer; control: ControlServer; address: string } | undefined;
  before(async () => {
    const srv = await startServer(config);
    const control = new ControlServer(srv.server.controlContext());
    const { port } = await control.listen({ host: '127.0.0.1', port: 0 });
    running = { srv, control, address: `127.0.0.1:${port}` };
  });
  after(async () => {
    await running?.control.close();
    await running?.srv.stop();
  });
  const started = (): NonNullable<typeof running> => {
    if (running === undefined) throw new Error('the server starts in before()');
    return running;
  };
  return {
    get srv(): RunningServer { return started().srv; },
    get address(): string { return started().address; },
  };
}
