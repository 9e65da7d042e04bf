// A ControlContext without a SIP server behind it: bindings and users in plain maps, or a
// synthetic table of any size generated on the fly.
import type { ControlContext, UserAdmin, UserSummary } from '../../src/control/context.js';
import type { BindingChangeReason, LocationView } from '../../src/registrar/types.js';
import { ServerStats } from '../../src/server/stats.js';
import type { BindingRecord } from '../../src/store/types.js';

export function binding(overrides: Partial<BindingRecord> = {}): BindingRecord {
  const now = Date.now();
  const aor = overrides.aor ?? 'sip:alice@example.com';
  const contact = overrides.contact ?? 'sip:alice@192.0.2.10:5060';
  return {
    id: `${aor} ${contact}`,
    aor,
    contact,
    expiresAt: now + 3600_000,
    callId: 'call-1@192.0.2.10',
    cseq: 7,
    received: { protocol: 'udp', address: '192.0.2.10', port: 5060 },
    socket: 'udp:0.0.0.0:5060',
    path: [],
    flags: [],
    lastModified: now,
    ...overrides,
  };
}

export class FakeLocation implements LocationView {
  readonly table = new Map<string, BindingRecord[]>();
  readonly removals: Array<{ aor: string; contact?: string; reason?: BindingChangeReason }> = [];

  add(...records: BindingRecord[]): this {
    for (const r of records) this.table.set(r.aor, [...(this.table.get(r.aor) ?? []), r]);
    return this;
  }

  lookup(aor: string): BindingRecord[] {
    return this.table.get(aor) ?? [];
  }

  *entries(): IterableIterator<BindingRecord> {
    for (const list of this.table.values()) yield* list;
  }

  counts(): { aors: number; bindings: number } {
    let bindings = 0;
    for (const list of this.table.values()) bindings += list.length;
    return { aors: this.table.size, bindings };
  }

  async remove(aor: string, contact?: string, reason?: BindingChangeReason): Promise<number> {
    this.removals.push({ aor, contact, reason });
    const list = this.table.get(aor) ?? [];
    const keep = contact === undefined ? [] : list.filter((b) => b.contact !== contact);
    if (keep.length === 0) this.table.delete(aor);
    else this.table.set(aor, keep);
    return list.length - keep.length;
  }
}

/**
 * `size` bindings, two per AOR, made as they are read: the dump of a million costs no table.
 * `pulled` counts what the dump has read so far.
 */
export class SyntheticLocation implements LocationView {
  pulled = 0;

  constructor(readonly size: number) {}

  lookup(): BindingRecord[] {
    return [];
  }

  *entries(): IterableIterator<BindingRecord> {
    const now = Date.now();
    for (let i = 0; i < this.size; i++) {
      this.pulled++;
      const user = `user${i >> 1}`;
      yield binding({
        aor: `sip:${user}@example.com`,
        contact: `sip:${user}@198.51.100.${i % 250}:${5060 + (i & 1)};transport=udp`,
        callId: `c${i}`,
        cseq: i,
        userAgent: 'synthetic/1.0',
        received: { protocol: 'udp', address: `198.51.100.${i % 250}`, port: 5060 + (i & 1) },
        instance: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        regId: 1,
        lastKeepalive: now,
        lastModified: now,
        expiresAt: now + 3600_000,
      });
    }
  }

  counts(): { aors: number; bindings: number } {
    return { aors: Math.ceil(this.size / 2), bindings: this.size };
  }

  async remove(): Promise<number> {
    return 0;
  }
}

export class FakeUsers implements UserAdmin {
  readonly users = new Map<string, { summary: UserSummary; password: string }>();

  async add(username: string, domain: string, password: string): Promise<'added' | 'exists'> {
    const key = `${username}@${domain}`;
    if (this.users.has(key)) return 'exists';
    this.users.set(key, { summary: { username, domain, createdAt: Date.UTC(2026, 0, 2, 3, 4, 5) }, password });
    return 'added';
  }

  async remove(username: string, domain: string): Promise<boolean> {
    return this.users.delete(`${username}@${domain}`);
  }

  async setPassword(username: string, domain: string, password: string): Promise<boolean> {
    const user = this.users.get(`${username}@${domain}`);
    if (!user) return false;
    user.password = password;
    return true;
  }

  list(domain?: string): UserSummary[] {
    return [...this.users.values()].map((u) => u.summary).filter((u) => domain === undefined || u.domain === domain);
  }
}

export interface FakeContext extends ControlContext {
  users: FakeUsers;
}

export function fakeContext(location: LocationView = new FakeLocation()): FakeContext {
  return {
    location,
    users: new FakeUsers(),
    stats: new ServerStats(),
    transactions: () => ({ server: 3, client: 1 }),
    listeners: () => ['udp [::]:5060 (IPv4 and IPv6)', 'tcp 127.0.0.1:5060 (IPv4 only)'],
  };
}
