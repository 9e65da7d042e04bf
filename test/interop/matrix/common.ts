// Helpers every matrix row shares: the users' password, loopback host formatting, bounded waits,
// and the simplesip client used as the second party.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent, type UserAgentOptions } from '../../../src/index.js';
import type { SipServer } from '../../../src/server/sip-server.js';
import { fail, pass, type Outcome, type Target } from './cells.js';

export const PASSWORD = 'matrix-secret';
export const bracket = (h: string): string => (h.includes(':') ? `[${h}]` : h);
export const hostPort = (t: Target): string => `${bracket(t.host)}:${t.port}`;

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms); });
  try { return await Promise.race([p, t]); } finally { clearTimeout(timer); }
}

export async function outcome(what: () => Promise<void>): Promise<Outcome> {
  try { await what(); return pass(); } catch (e) { return fail((e as Error).message); }
}

/** Polls `check` every 100 ms; rejects with `what()` once `ms` have passed. */
export async function until(check: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function bindingsOf(server: SipServer, user: string, t: Target): number {
  return server.location.lookup(`sip:${user}@${bracket(t.host)}`).length;
}

/** The register+auth cell: one binding for the user, and it came over the row's transport and family. */
export function registeredOver(server: SipServer, user: string, t: Target): Outcome {
  const bindings = server.location.lookup(`sip:${user}@${bracket(t.host)}`);
  if (bindings.length !== 1) return fail(`${bindings.length} bindings, expected 1`);
  const { protocol, address } = bindings[0].received;
  const family = address.includes(':') ? 6 : 4;
  return protocol === t.transport && family === t.family ? pass() : fail(`registered over ${protocol} IPv${family}`);
}

/** A simplesip client for `user` in the target's domain, talking to the target over its transport. */
export function matrixUa(user: string, t: Target, extra: Partial<UserAgentOptions> = {}): UserAgent {
  return new UserAgent({
    aor: `sip:${user}@${bracket(t.host)}`, password: PASSWORD, server: `sip:${hostPort(t)};transport=${t.transport}`,
    localPorts: { min: 0, max: 0 }, stateDir: mkdtempSync(join(tmpdir(), 'matrix-ua-')), networkCheckIntervalMs: 0, closeTimeoutMs: 1500,
    // TLS: the client verifies the server's certificate against the runner's throw-away one.
    ...(t.transport === 'tls' ? { tls: { ca: t.certificate.cert } } : {}),
    ...extra,
  });
}
