// Shared setup for UserAgent tests: short RFC 3261 timers, an ephemeral port, a throw-away state dir.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent, type UserAgentOptions } from '../../src/index.js';

export const FAST_TIMERS = { t1: 10, t2: 80, t4: 100 };

export function newUa(server: string, extra: Partial<UserAgentOptions> = {}): UserAgent {
  return new UserAgent({
    aor: 'sip:alice@example.com', password: 'secret', server,
    localPorts: { min: 0, max: 0 }, stateDir: mkdtempSync(join(tmpdir(), 'simplesip-ua-')),
    timers: FAST_TIMERS, networkCheckIntervalMs: 0, closeTimeoutMs: 500, ...extra,
  });
}

/** host and port of a SIP URI such as the UA's Contact. */
export function hostPort(uri: string): { address: string; port: number } {
  const m = /@\[?([^\]]+?)\]?:(\d+)/.exec(uri);
  if (m === null) throw new Error(`no host:port in ${uri}`);
  return { address: m[1], port: Number(m[2]) };
}

export function challenge(extra = ''): [string, string] {
  return ['WWW-Authenticate', `Digest realm="example.com", nonce="n${Math.random().toString(36).slice(2)}", qop="auth", algorithm=MD5${extra}`];
}
