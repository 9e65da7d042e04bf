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

export type PublicationRemoval = 'unpublished' | 'expired' | 'device-gone' | 'user-removed';

export interface PublicationEvents {
  /** The live publications of `aor` changed. */
  change: [aor: string];
}

/** RFC 3903 11.3: an entity-tag is opaque; 96 random bits make it unguessable for other users. */
export function newEntityTag(): string {
  return randomBytes(12).toString('base64url');
}

/** Publications of one address-of-record and event from one transport source: only the latest counts. */
function sourceSlot(r: PublicationRecord): string {
  return `${r.aor}\u0000${r.event}\u0000${r.source}`;
}

export class PublicationStore extends EventEmitter<PublicationEvents> {
  private readonly byTag = new Map<string, Publication>();
  private readonly byAor = new Map<string, Set<Publication>>();
  private readonly expiry: ExpiryWheel<PublicationRecord>;
  private readonly owners = new WeakMap<PublicationRecord, Publication>();
  /** Publications whose PUBLISH failed to be stored: never to come back (put()). */
  private readonly unstored = new WeakSet<Publication>();

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

  /**
   * Loads stored publications (server start): expired or unparseable ones are deleted, and so is each
   * one that an initial PUBLISH from the same source replaced (a database written before sources
   * replaced their publications): only the latest of a source counts, and it alone is kept.
   */
  async restore(): Promise<{ restored: number; dropped: number }> {
    const drops: Array<Promise<void>> = [];
    let restored = 0;
    const records = await this.repository.all();
    const latest = new Map<string, PublicationRecord>();
    for (const r of records) {
      const seen = latest.get(sourceSlot(r));
      if (seen === undefined || r.lastModified >= seen.lastModified) latest.set(sourceSlot(r), r);
    }
    for (const record of records) {
      let parts: PidfParts | undefined;
      try {
        parts = record.expiresAt > this.now() && latest.get(sourceSlot(record)) === record ? splitPidf(record.body) : undefined;
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

  /**
   * Live publications of one presentity, most recently modified first. Sorted on each call: an
   * address-of-record has at most --max-publications of them, one per source unless a publication
   * was refreshed from another source than its own.
   */
  of(aor: string): Publication[] {
    const set = this.byAor.get(aor);
    if (set === undefined) return [];
    // Newest insertion first, so the stable sort breaks ties of the millisecond clock in its favour.
    return [...set].reverse().sort((a, b) => b.record.lastModified - a.record.lastModified);
  }

  get size(): number {
    return this.byTag.size;
  }

  /** How many live publications `aor` has. */
  countOf(aor: string): number {
    return this.byAor.get(aor)?.size ?? 0;
  }

  /** The live publications of `aor` for `event` sent from `source` (an initial PUBLISH from there replaces them). */
  fromSource(aor: string, event: string, source: string): Publication[] {
    return [...this.byAor.get(aor) ?? []].filter((p) => p.record.source === source && p.record.event === event);
  }

  /**
   * Adds `record`, in place of `replaced`: the publication a refresh or modify names under its old
   * tag, or those an initial PUBLISH from the same source supersedes. Memory at once (the next PUBLISH
   * counts it against --max-publications), the store in one transaction; resolves once all is durable.
   * When the write fails, memory goes back as it was (RFC 3903 6: a PUBLISH answered with an error
   * creates, refreshes or modifies nothing): `record` goes, and each replaced publication that was
   * stored comes back, unless another PUBLISH replaced it meanwhile.
   */
  async put(record: PublicationRecord, parts: PidfParts, replaced: readonly Publication[] = []): Promise<void> {
    for (const p of replaced) this.delete(p);
    const added: Publication = { record, parts };
    this.insert(added);
    const removed = replaced.filter((p) => p.record.etag !== record.etag).map((p) => p.record.etag);
    const { repository } = this;
    try {
      if (removed.length === 0) await repository.put(record);
      else if (repository.replace !== undefined) await repository.replace(record, removed);
      else await Promise.all([repository.put(record), ...removed.map((etag) => repository.remove(etag))]);
    } catch (err) {
      this.unstored.add(added);
      this.delete(added);
      for (const p of replaced) if (!this.unstored.has(p) && !this.byTag.has(p.record.etag)) this.insert(p);
      throw err;
    } finally {
      this.emit('change', record.aor);
    }
  }

  async remove(publication: Publication, reason: PublicationRemoval): Promise<void> {
    if (reason === 'unpublished') return this.unpublish(publication);
    // Removals the server decides on (expiry, device gone, user removed) stand even when the store
    // fails: the publication is over, and its row is dropped at the next start or expires there.
    if (!this.delete(publication)) return;
    this.log.debug({ aor: publication.record.aor, etag: publication.record.etag, reason }, 'publication removed');
    try {
      await this.repository.remove(publication.record.etag);
    } finally {
      this.emit('change', publication.record.aor);
    }
  }

  /**
   * PUBLISH with Expires 0 (RFC 3903 6 step 5): from the store first, then from memory, so that the
   * client's 200 means gone for good and a failed delete (an error answer) leaves the publication.
   */
  private async unpublish(publication: Publication): Promise<void> {
    if (this.byTag.get(publication.record.etag) !== publication) return;
    await this.repository.remove(publication.record.etag);
    if (!this.delete(publication)) return;
    this.log.debug({ aor: publication.record.aor, etag: publication.record.etag, reason: 'unpublished' }, 'publication removed');
    this.emit('change', publication.record.aor);
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
