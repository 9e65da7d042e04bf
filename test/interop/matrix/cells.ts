// The peer matrix's vocabulary: a cell is a small async function that returns pass, fail with a
// reason, or unsupported with how we know the peer lacks it.
import type { TestCertificate } from '../../helpers/tls-cert.js';
export type Outcome = { kind: 'pass' } | { kind: 'fail'; reason: string } | { kind: 'unsupported'; why: string };
export type Transport = 'udp' | 'tcp' | 'tls';
export type Family = 4 | 6;
export const COLUMNS = ['register+auth', 'message out', 'message in', 'presence publish', 'presence watch', 'clean unregister'] as const;
export type Column = (typeof COLUMNS)[number];

export const pass = (): Outcome => ({ kind: 'pass' });
export const fail = (reason: string): Outcome => ({ kind: 'fail', reason });
export const unsupported = (why: string): Outcome => ({ kind: 'unsupported', why });

export interface Target {
  transport: Transport;
  family: Family;
  host: string;
  port: number;
  /** The runner's throw-away certificate (CN=localhost, SAN 127.0.0.1 and ::1) that its TLS listener presents. */
  certificate: TestCertificate;
}

/** One row: a peer, its version, and what it does per transport and family. */
export interface PeerRow {
  name: string;
  version(): Promise<string>;
  /** Every column of one transport/family combination at once (peers are slow to start). */
  run(target: Target): Promise<Record<Column, Outcome>>;
}

export function all(outcome: Outcome): Record<Column, Outcome> {
  return Object.fromEntries(COLUMNS.map((c) => [c, outcome])) as Record<Column, Outcome>;
}

export function render(o: Outcome): string {
  if (o.kind === 'pass') return 'pass';
  if (o.kind === 'fail') return `fail: ${o.reason.replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 100)}`;
  return `n/s: ${o.why}`;
}
