// Shared fixtures for the store tests: temporary data directories and sample records.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BindingRecord, UserRecord } from '../../src/store/types.js';

/** A fresh directory under the OS temp dir; `cleanup` removes it (call from t.after). */
export function tempDir(prefix = 'simplesip-store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A binding with only the required fields; `i` makes the id, AOR and contact unique. */
export function minimalBinding(i: number, overrides: Partial<BindingRecord> = {}): BindingRecord {
  return {
    id: `sip:user${i}@example.com|sip:user${i}@192.0.2.${i % 250}:5060`,
    aor: `sip:user${i}@example.com`,
    contact: `sip:user${i}@192.0.2.${i % 250}:5060`,
    expiresAt: 1_700_000_000_000 + i * 1000,
    callId: `call-${i}@client`,
    cseq: i + 1,
    received: { protocol: 'udp', address: `192.0.2.${i % 250}`, port: 5060 + (i % 1000) },
    socket: 'udp:[::]:5060',
    path: [],
    flags: [],
    lastModified: 1_700_000_000_000 + i,
    ...overrides,
  };
}

/** A binding with every optional field set, and non-empty lists. */
export function fullBinding(i: number, overrides: Partial<BindingRecord> = {}): BindingRecord {
  return minimalBinding(i, {
    id: `sip:user${i}@example.com|urn:uuid:00000000-0000-0000-0000-${String(i).padStart(12, '0')}|1`,
    q: 0.5,
    userAgent: 'simplesip-test/1.0 "quoted" \u00e9',
    received: { protocol: 'wss', address: '2001:db8::1', port: 443 },
    socket: 'wss:[::]:443',
    connectionId: `conn-${i}`,
    path: ['<sip:edge1.example.com;lr>', '<sip:edge2.example.com;lr;ob>'],
    methods: ['INVITE', 'MESSAGE', 'SUBSCRIBE'],
    instance: `urn:uuid:00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    regId: 1,
    flags: ['nat', 'outbound'],
    lastKeepalive: 1_700_000_000_500 + i,
    ...overrides,
  });
}

export function user(name: string, domain = 'example.com', createdAt = 1_700_000_000_000): UserRecord {
  return { username: name, domain, ha1Md5: `md5-${name}-${domain}`, ha1Sha256: `sha256-${name}-${domain}`, createdAt };
}

export function byId(a: BindingRecord, b: BindingRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function byUser(a: UserRecord, b: UserRecord): number {
  const ka = `${a.domain}\u0000${a.username}`;
  const kb = `${b.domain}\u0000${b.username}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
