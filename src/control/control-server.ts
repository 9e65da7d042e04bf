// The control API server: HTTP + JSON on a loopback address (README "simplesip ctl").
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InvalidUserError } from '../auth/user-directory.js';
import { normalizeSocketAddress } from '../transport/address.js';
import { formatControlAddress, isLoopback, type ControlAddress } from './address.js';
import type { ControlContext } from './context.js';
import { HttpError, sendError } from './http-json.js';
import { createMetricsRegistry } from './metrics.js';
import { mayControl, peerUid, type Endpoints } from './peer-user.js';
import { findRoute, type RouteEnv } from './routes.js';
import { DUMP_BATCH } from './ul-dump.js';

export interface ControlServerOptions {
  /** Bindings per write of the location dump. */
  dumpBatch?: number;
  /** The uid allowed besides root (default: the server's own, process.getuid()). */
  serverUid?: number;
  /** Who owns the caller's end of a connection (default: /proc/net/tcp*, peer-user.ts); tests give their own. */
  peerUid?: (endpoints: Endpoints) => Promise<number | null | undefined>;
}

/** Routes any local user may read: metrics carry counts, nothing about users (Prometheus runs as its own user). */
const OPEN_TO_ALL_USERS = new Set(['/metrics']);

export class ControlServer {
  private readonly http: Server;
  private readonly env: RouteEnv;
  private bound: ControlAddress | undefined;
  private readonly serverUid: number | undefined;
  private readonly peerUid: (endpoints: Endpoints) => Promise<number | null | undefined>;
  /** Each connection's caller checked once, whatever number of requests it carries. */
  private readonly callers = new WeakMap<Socket, Promise<string | undefined>>();

  constructor(context: ControlContext, options: ControlServerOptions = {}) {
    this.env = { context, metrics: createMetricsRegistry(context), dumpBatch: options.dumpBatch ?? DUMP_BATCH };
    this.http = createServer((req, res) => void this.serve(req, res));
    this.serverUid = options.serverUid ?? process.getuid?.();
    this.peerUid = options.peerUid ?? ((endpoints) => peerUid(endpoints));
  }

  /** The address as bound (the real port when 0 was asked for). */
  get address(): ControlAddress {
    if (!this.bound) throw new Error('the control server is not listening');
    return this.bound;
  }

  /** Listens on a loopback address (the caller checked it with parseServerControlAddress). */
  listen(address: ControlAddress): Promise<ControlAddress> {
    if (!isLoopback(address.host)) {
      return Promise.reject(new Error(`the control API listens on loopback only, not ${address.host}`));
    }
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        const why = err.code === 'EADDRINUSE' ? 'address already in use' : err.code === 'EADDRNOTAVAIL' ? 'address not available' : err.message;
        reject(new Error(`cannot listen for the control API on ${formatControlAddress(address)}: ${why} (choose another with --control HOST:PORT)`));
      };
      this.http.once('error', onError);
      this.http.listen(address.port, address.host, () => {
        this.http.off('error', onError);
        const a = this.http.address() as AddressInfo;
        // `--control [::ffff:127.0.0.1]:PORT` binds an IPv6 socket Node reports as ::ffff:127.0.0.1:
        // shown (and reached) as 127.0.0.1 (README: no ::ffff: in output).
        this.bound = { host: normalizeSocketAddress(a.address), port: a.port };
        resolve(this.bound);
      });
    });
  }

  /** Stops listening and drops open connections (a dump in progress ends there). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  /** Why the caller of this connection may not use the control API, or undefined when it may (peer-user.ts). */
  private callerRefusal(socket: Socket): Promise<string | undefined> {
    let verdict = this.callers.get(socket);
    if (verdict === undefined) {
      verdict = this.judge(socket);
      this.callers.set(socket, verdict);
    }
    return verdict;
  }

  private async judge(socket: Socket): Promise<string | undefined> {
    const serverUid = this.serverUid;
    if (serverUid === undefined) return undefined; // no uids on this platform
    const uid = await this.peerUid({
      peerAddress: normalizeSocketAddress(socket.remoteAddress ?? ''), peerPort: socket.remotePort ?? 0,
      localAddress: normalizeSocketAddress(socket.localAddress ?? ''), localPort: socket.localPort ?? 0,
    });
    if (uid === undefined) return undefined; // the kernel does not say (not Linux)
    if (uid !== null && mayControl(uid, serverUid)) return undefined;
    return `the control API answers only the server's user (uid ${serverUid}) and root, not uid ${uid ?? 'unknown'}: run simplesip ctl as that user`;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      checkHost(req.headers.host);
      const url = new URL(req.url ?? '/', 'http://control');
      const { route, params } = findRoute(req.method ?? 'GET', url.pathname);
      if (!OPEN_TO_ALL_USERS.has(url.pathname)) {
        const refusal = await this.callerRefusal(req.socket);
        if (refusal !== undefined) throw new HttpError(403, refusal);
      }
      await route.handle({ env: this.env, req, res, params, query: url.searchParams });
    } catch (err) {
      if (res.headersSent) {
        // Mid-stream (the dump): cut the connection so the client sees a truncated response, not a short one.
        res.destroy(err instanceof Error ? err : undefined);
      } else {
        // A user name the directory refuses is the caller's mistake (400), not the server's failure.
        const known = err instanceof HttpError ? err : err instanceof InvalidUserError ? new HttpError(400, err.message) : undefined;
        sendError(res, known ?? new HttpError(500, err instanceof Error ? err.message : String(err)));
      }
    }
  }
}

/**
 * Loopback alone does not keep a web page out: DNS rebinding can point a name at 127.0.0.1 and let
 * a browser script send requests here. Such requests carry that name in Host, so only loopback
 * addresses and localhost are accepted.
 */
function checkHost(host: string | undefined): void {
  if (host === undefined) return;
  const name = /^\[[^\]]+\]$/.test(host) || !host.includes(':') ? host : host.slice(0, host.lastIndexOf(':'));
  const bare = name.startsWith('[') ? name.slice(1, -1) : name;
  if (bare.toLowerCase() === 'localhost' || isLoopback(bare)) return;
  throw new HttpError(403, `the control API only answers requests addressed to a loopback host, not "${host}"`);
}
