// Publications (RFC 3903): each PUBLISH-ed document by entity-tag, indexed by presentity, held in
// memory as the authority (parsed once, composed on every change), written through to the store,
// and expired on the shared timer heap (RFC 3903 4: an unrefreshed publication goes away).
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ExpiryWheel } from '../registrar/expiry.js';
import type { PublicationRecord, PublicationRepository } from '../store/types.js';
import { sharedTimerHeap, type TimerHeap } from '../transaction/timer-heap.js';
import type { TransportLogger } from '../transport/types.js';
import { splitPidf, type PidfParts } from './composition.js';

export interface Publication {
  record: PublicationRecord;
  parts: PidfParts;
}

export type PublicationRemoval = 'unpublished' | 'expired' | 'device-gone';

export interface PublicationEvents {
  /** The live publications of `aor` changed. */
  change: [aor: string];
}

/** RFC 3903 11.3: an entity-tag is opaque; 96 random bits make it unguessable for other users. */
export function newEntityTag(): string {
  return randomBytes(12).toString('base64url');
}

export class PublicationStore extends EventEmitter<PublicationEvents> {
  private readonly byTag = new Map<string, Publication>();
  private readonly byAor = new Map<string, Set<Publication>>();
  private readonly expiry: ExpiryWheel<PublicationRecord>;
  private readonly owners = new WeakMap<PublicationRecord, Publication>();

  constructor(
    private readonly repository: PublicationRepository,
    private readonly log: TransportLogger,
    private readonly now: () => number = Date.now,
    timers: TimerHeap = sharedTimerHeap(),
  ) {
    super();
    this.expiry = new ExpiryWheel(timers, now, (r) => {
      const p = this.owners.get(r);
      if (p !== undefined) this.removeAndLog(p, 'expired');
    });
  }

  /** Loads stored publications (server start): expired or unparseable ones are deleted. */
  async restore(): Promise<{ restored: number; dropped: number }> {
    const drops: Array<Promise<void>> = [];
    let restored = 0;
    for (const record of await this.repository.all()) {
      let parts: PidfParts | undefined;
      try {
        parts = record.expiresAt > this.now() ? splitPidf(record.body) : undefined;
      } catch {
        parts = undefined;
      }
      if (parts === undefined) {
        drops.push(this.repository.remove(record.etag));
        continue;
      }
      this.insert({ record, parts });
      restored++;
    }
    await Promise.all(drops);
    return { restored, dropped: drops.length };
  }

  get(etag: string): Publication | undefined {
    return this.byTag.get(etag);
  }

  /** Live publications of one presentity, most recently modified first. */
  of(aor: string): Publication[] {
    const set = this.byAor.get(aor);
    if (set === undefined) return [];
    // Newest insertion first, so the stable sort breaks ties of the millisecond clock in its favour.
    return [...set].reverse().sort((a, b) => b.record.lastModified - a.record.lastModified);
  }

  get size(): number {
    return this.byTag.size;
  }

  /** Adds or replaces (`previous`: the publication this one refreshes or modifies, under its old tag). */
  async put(record: PublicationRecord, parts: PidfParts, previous?: Publication): Promise<void> {
    if (previous !== undefined) this.delete(previous);
    this.insert({ record, parts });
    const writes = [this.repository.put(record)];
    if (previous !== undefined && previous.record.etag !== record.etag) writes.push(this.repository.remove(previous.record.etag));
    try {
      await Promise.all(writes);
    } finally {
      this.emit('change', record.aor);
    }
  }

  async remove(publication: Publication, reason: PublicationRemoval): Promise<void> {
    if (!this.delete(publication)) return;
    this.log.debug({ aor: publication.record.aor, etag: publication.record.etag, reason }, 'publication removed');
    try {
      await this.repository.remove(publication.record.etag);
    } finally {
      this.emit('change', publication.record.aor);
    }
  }

  /** Removes the publications of `aor` for which `select` is true; resolves with how many. */
  async removeWhere(aor: string, reason: PublicationRemoval, select: (p: Publication) => boolean): Promise<number> {
    const targets = this.of(aor).filter(select);
    await Promise.all(targets.map((p) => this.remove(p, reason)));
    return targets.length;
  }

  close(): void {
    this.expiry.clear();
  }

  private removeAndLog(p: Publication, reason: PublicationRemoval): void {
    this.remove(p, reason).catch((err: unknown) =>
      this.log.warn({ aor: p.record.aor, err: String(err) }, 'could not delete a publication from the store'));
  }

  private insert(p: Publication): void {
    this.byTag.set(p.record.etag, p);
    let set = this.byAor.get(p.record.aor);
    if (set === undefined) {
      set = new Set();
      this.byAor.set(p.record.aor, set);
    }
    set.add(p);
    this.owners.set(p.record, p);
    this.expiry.arm(p.record);
  }

  private delete(p: Publication): boolean {
    if (this.byTag.get(p.record.etag) !== p) return false;
    this.byTag.delete(p.record.etag);
    const set = this.byAor.get(p.record.aor);
    set?.delete(p);
    if (set?.size === 0) this.byAor.delete(p.record.aor);
    this.expiry.disarm(p.record);
    return true;
  }
}
