// The location service (RFC 3261 10.3): bindings of each address-of-record, held in memory as the
// authority for every lookup, written through to the store (a REGISTER is answered once its change is
// durable, and a change whose write fails is undone), expired on time by the shared timer heap, and
// indexed by transport source so that a closed connection, a keepalive or a dead UDP contact finds its
// bindings without a scan.
import { EventEmitter } from 'node:events';
import { parseUri } from '../sip/uri.js';
import { uriEquals } from '../sip/uri-equals.js';
import type { BindingRecord, BindingRepository, BindingStore, BindingWrite } from '../store/types.js';
import { sharedTimerHeap, type TimerHeap } from '../transaction/timer-heap.js';
import type { TransportLogger } from '../transport/types.js';
import { sourceKey } from './binding-key.js';
import { applyUpdate, reachedOverItsConnection, refreshesTimesOnly, sameSource, swapUpdate, type BindingUpdate } from './binding-record.js';
import { ExpiryWheel } from './expiry.js';
import type { BindingChange, BindingChangeReason, LocationView } from './types.js';

/** One change of a registration, applied to memory at once and to the store in one transaction (undone when that fails). */
export type BindingOp =
  | { kind: 'put'; binding: BindingRecord; previous?: BindingRecord; reason: BindingChangeReason }
  /** `binding` (stored) takes the values of `update`, in place (see refresh()). */
  | { kind: 'refresh'; binding: BindingRecord; update: BindingUpdate; reason: BindingChangeReason }
  | { kind: 'remove'; binding: BindingRecord; reason: BindingChangeReason };

/**
 * Removals the server makes on its own: the binding is gone whatever the store says (an expired row
 * is deleted at the next start, a plain stream binding's row too, a dead UDP contact's is probed
 * again), so a failed delete is logged and the removal stands. Every other change was asked for by
 * someone who is told when its write fails (500 to the REGISTER, `ctl ul rm` exit 5), and is undone.
 */
const STANDS: ReadonlySet<BindingChangeReason> = new Set<BindingChangeReason>(['expired', 'connection-closed', 'dead']);

/**
 * What one binding id was before a change whose store write is pending: put back should that write
 * fail (LocationService.settle). The changes of one id whose writes are pending are chained, oldest first.
 */
interface Undo {
  id: string;
  aor: string;
  /** The binding under this id before the change; undefined: there was none. */
  before: BindingRecord | undefined;
  /** A refresh changes its binding in place: the values `before` had then. */
  values: BindingUpdate | undefined;
  /** A later change of this id is durable: the row is that one's, and this one's failure changes nothing. */
  superseded: boolean;
  /** A removal that stands even when its write fails (STANDS). */
  stands: boolean;
}

export interface LocationServiceOptions {
  repository: BindingRepository;
  /** Default: the process-wide heap. Tests give one with a manual clock. */
  timers?: TimerHeap;
  /** Wall clock of expiresAt and lastKeepalive, epoch milliseconds (default Date.now). */
  now?: () => number;
  logger?: TransportLogger;
}

export interface LocationEvents {
  change: [change: BindingChange];
}

const SILENT: TransportLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** q absent counts as 1.0 (the highest), as most proxies treat it (RFC 3261 16.6 leaves it open). */
function qOf(b: BindingRecord): number {
  return b.q ?? 1;
}

export function keyOfBinding(b: BindingRecord): string {
  return sourceKey(b.received.protocol, b.received.address, b.received.port, b.connectionId);
}

function without<T>(list: T[], item: T): T[] {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
  return list;
}

export class LocationService extends EventEmitter<LocationEvents> implements LocationView {
  private readonly byAor = new Map<string, BindingRecord[]>();
  /**
   * Bindings by transport source. Nearly every source has one binding, stored as is; a source with
   * several (a NAT, a load generator) gets a Set, so updates stay O(1) however many share it.
   */
  private readonly bySource = new Map<string, BindingRecord | Set<BindingRecord>>();
  private readonly expiry: ExpiryWheel<BindingRecord>;
  /**
   * When each AOR's list was made (a count of lists made): entries() skips the AORs made after it
   * began, which a Map iterator would otherwise visit (an AOR emptied and registered again goes to
   * the end of the Map, so a dump already past it listed its bindings twice).
   */
  private readonly listMade = new WeakMap<BindingRecord[], number>();
  private listsMade = 0;
  private readonly repository: BindingRepository;
  /** Changes whose store writes are pending, by binding id, oldest first (see settle()). */
  private readonly pending = new Map<string, Undo[]>();
  private readonly log: TransportLogger;
  private total = 0;
  readonly now: () => number;

  constructor(options: LocationServiceOptions) {
    super();
    this.repository = options.repository;
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? SILENT;
    this.expiry = new ExpiryWheel(options.timers ?? sharedTimerHeap(), this.now, (b) => this.expire(b));
  }

  /** Loads the stored bindings (server start): expired ones are deleted, the others armed again. */
  async restore(): Promise<{ restored: number; dropped: number }> {
    const now = this.now();
    const store = this.repository as BindingRepository & Partial<Pick<BindingStore, 'iterate' | 'removeExpired'>>;
    if (store.iterate !== undefined && store.removeExpired !== undefined) {
      // The engines' way: expired rows go in one DELETE, never read; the rest come page by page. A
      // million expired rows read into records and removed one by one left 1.5 GB of RSS behind.
      const dropped = await store.removeExpired(now);
      let restored = 0;
      for await (const b of store.iterate()) {
        this.insert(b);
        restored++;
      }
      return { restored, dropped };
    }
    let restored = 0;
    const drops: Array<Promise<void>> = [];
    for (const b of await this.repository.all()) {
      if (b.expiresAt <= now) {
        drops.push(this.repository.remove(b.id));
        continue;
      }
      this.insert(b);
      restored++;
    }
    await Promise.all(drops);
    return { restored, dropped: drops.length };
  }

  lookup(aor: string): BindingRecord[] {
    const list = this.byAor.get(aor);
    if (list === undefined) return [];
    return [...list].sort((a, b) => qOf(b) - qOf(a) || b.lastModified - a.lastModified);
  }

  /** The live list of an AOR's bindings (registration order); callers must not keep or change it. */
  bindingsOf(aor: string): readonly BindingRecord[] {
    return this.byAor.get(aor) ?? [];
  }

  /** Bindings registered from one connection or UDP address and port (see binding-key.ts sourceKey). */
  bindingsFrom(source: string): readonly BindingRecord[] {
    const entry = this.bySource.get(source);
    if (entry === undefined) return [];
    return entry instanceof Set ? [...entry] : [entry];
  }

  /**
   * Every binding, AOR by AOR, read lazily (the dump streams a million of them between event-loop
   * turns, while REGISTERs change the table): each binding at most once, and every binding that is
   * there for the whole walk exactly once. An AOR made after the walk began is skipped (its bindings
   * are newer than the walk); an AOR's list is copied when the walk reaches it, so a binding removed
   * meanwhile cannot shift another past the cursor, and a replaced binding keeps its place (replace()).
   */
  *entries(): IterableIterator<BindingRecord> {
    const began = this.listsMade;
    for (const list of this.byAor.values()) {
      if ((this.listMade.get(list) ?? 0) > began) continue;
      if (list.length === 1) yield list[0];
      else yield* list.slice();
    }
  }

  counts(): { aors: number; bindings: number } {
    return { aors: this.byAor.size, bindings: this.total };
  }

  async remove(aor: string, contact?: string, reason: BindingChangeReason = 'admin'): Promise<number> {
    let targets = [...this.bindingsOf(aor)];
    if (contact !== undefined) {
      const wanted = parseUri(contact);
      targets = targets.filter((b) => uriEquals(parseUri(b.contact), wanted));
    }
    await this.apply(targets.map((binding) => ({ kind: 'remove', binding, reason })));
    return targets.length;
  }

  /** Removes the bindings of one source for which `select` is true (connection closed, contact dead). */
  async removeFrom(source: string, reason: BindingChangeReason, select: (b: BindingRecord) => boolean = () => true): Promise<number> {
    const targets = this.bindingsFrom(source).filter(select);
    await this.apply(targets.map((binding) => ({ kind: 'remove', binding, reason })));
    return targets.length;
  }

  /**
   * A keepalive (RFC 5626 4.4: CRLF on streams, STUN, or libpurple's NUL datagram) came from `source`:
   * its bindings get `lastKeepalive` in memory only (a write per keepalive would load the store for
   * nothing; the value is stored with the binding's next change).
   */
  touch(source: string, at: number = this.now()): number {
    const list = this.bindingsFrom(source);
    for (const b of list) b.lastKeepalive = at;
    return list.length;
  }

  /**
   * Marks the bindings of a source whose OPTIONS probes fail (flag `dead`, shown by `ctl ul show`
   * until they answer, register again, or are removed after the last failed probe), or clears it.
   * Memory only: the store keeps what the REGISTER said. Flag lists are shared and frozen, so the
   * list is replaced, never changed.
   */
  markDead(source: string, dead: boolean): void {
    for (const b of this.bindingsFrom(source)) {
      const has = b.flags.includes('dead');
      if (dead && !has) b.flags = Object.freeze([...b.flags, 'dead']) as string[];
      else if (!dead && has) b.flags = Object.freeze(b.flags.filter((f) => f !== 'dead')) as string[];
    }
  }

  /**
   * RFC 5626 5.3: the connection of the outbound flows registered over `connectionId` is gone. They
   * stay registered, but nothing reaches them until their UA registers them again over a new
   * connection, which gives them new flags: until then they carry `flow-closed` (shown by `ctl ul
   * show`; the registrar removes them first when an AOR needs room). Memory only, like `dead`.
   */
  markFlowClosed(connectionId: string): void {
    for (const b of this.bindingsFrom(connectionId)) {
      if (b.flags.includes('outbound') && reachedOverItsConnection(b) && !b.flags.includes('flow-closed')) {
        b.flags = Object.freeze([...b.flags, 'flow-closed']) as string[];
      }
    }
  }

  /**
   * Applies the changes of one registration: memory at once (so the next request sees them), then the
   * store, all its writes in one transaction; resolves when the store has them (group commit), then
   * emits one 'change' per op. When the write fails, the changes are undone in memory and never
   * announced, except removals that stand (STANDS): RFC 3261 10.3 step 7, binding updates are made
   * visible if and only if all of them succeed; a failed database commit is a 500, and the tentative
   * updates are removed.
   */
  apply(ops: readonly BindingOp[]): Promise<void> {
    const writes: BindingWrite[] = [];
    const changes: BindingChange[] = [];
    const undos: Undo[] = [];
    for (const op of ops) this.change(op, writes, changes, undos);
    if (writes.length === 0) return Promise.resolve();
    // Nearly every REGISTER is one write: its promise, without a batch around it.
    const durable = writes.length === 1 ? this.writeOne(writes[0]) : this.writeAll(writes);
    return durable.then(() => {
      this.settle(undos, true);
      for (const change of changes) this.emit('change', change);
    }, (err: unknown) => {
      const back = this.settle(undos, false);
      for (const change of changes) if (STANDS.has(change.reason)) this.emit('change', change);
      for (const change of back) this.emit('change', change);
      throw err;
    });
  }

  /** One op in memory, its store writes, its change to announce, and what undoes it. */
  private change(op: BindingOp, writes: BindingWrite[], changes: BindingChange[], undos: Undo[]): void {
    if (op.kind === 'put') {
      const { binding, previous } = op;
      // A put under a new key (another id) removes the row of the binding it replaces, in the same commit.
      if (previous !== undefined && previous.id !== binding.id) {
        this.note(undos, previous.id, previous.aor, previous, undefined, op.reason);
        this.note(undos, binding.id, binding.aor, undefined, undefined, op.reason);
        writes.push({ kind: 'remove', id: previous.id });
      } else {
        this.note(undos, binding.id, binding.aor, previous, undefined, op.reason);
      }
      this.replace(previous, binding);
      writes.push({ kind: 'put', binding });
      changes.push({ type: previous === undefined ? 'added' : 'updated', binding, reason: op.reason });
    } else if (op.kind === 'refresh') {
      const b = op.binding;
      // Only its times are written when nothing else changed and the row is as memory has it: with a
      // write of this id still pending, the row may never get that one's values.
      const timesOnly = refreshesTimesOnly(b, op.update) && !this.pending.has(b.id); // before refresh() changes `b`
      const present = this.byAor.get(b.aor)?.includes(b) ?? false;
      // refresh() leaves in op.update the values `b` had (swapUpdate): what undoes it.
      this.refresh(b, op.update);
      this.note(undos, b.id, b.aor, present ? b : undefined, present ? op.update : undefined, op.reason);
      writes.push({ kind: timesOnly ? 'refresh' : 'put', binding: b });
      changes.push({ type: 'updated', binding: b, reason: op.reason });
    } else {
      const b = op.binding;
      if (!this.delete(b)) return;
      this.note(undos, b.id, b.aor, b, undefined, op.reason);
      writes.push({ kind: 'remove', id: b.id });
      changes.push({ type: 'removed', binding: b, reason: op.reason });
    }
  }

  private writeOne(w: BindingWrite): Promise<void> {
    const { repository } = this;
    if (w.kind === 'remove') return repository.remove(w.id);
    return w.kind === 'refresh' && repository.refresh !== undefined ? repository.refresh(w.binding) : repository.put(w.binding);
  }

  /** Several writes in one transaction (BindingRepository.batch), or one by one where the repository has none. */
  private writeAll(writes: readonly BindingWrite[]): Promise<void> {
    if (this.repository.batch !== undefined) return this.repository.batch(writes);
    return Promise.all(writes.map((w) => this.writeOne(w))).then(() => undefined);
  }

  /** Chains what `id` is now (before a change) behind the pending changes of that id. */
  private note(undos: Undo[], id: string, aor: string, before: BindingRecord | undefined, values: BindingUpdate | undefined,
    reason: BindingChangeReason): void {
    const undo: Undo = { id, aor, before, values, superseded: false, stands: STANDS.has(reason) };
    const chain = this.pending.get(id);
    if (chain === undefined) this.pending.set(id, [undo]);
    else chain.push(undo);
    undos.push(undo);
  }

  /**
   * The writes of one apply() are done (`durable`) or failed. Each id they changed leaves its chain.
   * Durable: the older pending changes of that id are superseded (the row is this one's now). Failed:
   * when a later change of the id is pending, it was made on top of this one, and takes this one's
   * `before` as its own; otherwise memory goes back to `before`. So another request that changed the
   * same binding within the commit window keeps its change when its write succeeds, and both are
   * undone, newest first, when both fail. Returns the changes the undo made ('rolled-back').
   */
  private settle(undos: readonly Undo[], durable: boolean): BindingChange[] {
    const back: BindingChange[] = [];
    for (let i = undos.length - 1; i >= 0; i--) {
      const u = undos[i];
      const chain = this.pending.get(u.id) as Undo[];
      const at = chain.indexOf(u);
      chain.splice(at, 1);
      if (durable) {
        for (let j = 0; j < at; j++) chain[j].superseded = true;
      } else if (!u.superseded && !u.stands) {
        if (at < chain.length) {
          chain[at].before = u.before;
          chain[at].values = u.values;
        } else {
          const change = this.undo(u);
          if (change !== undefined) back.push(change);
        }
      }
      if (chain.length === 0) this.pending.delete(u.id);
    }
    return back;
  }

  /** Puts the binding of `u.id` back as it was before the change `u` notes. */
  private undo(u: Undo): BindingChange | undefined {
    const now = this.byAor.get(u.aor)?.find((b) => b.id === u.id);
    const was = u.before;
    if (was === undefined) {
      if (now === undefined || !this.delete(now)) return undefined;
      return { type: 'removed', binding: now, reason: 'rolled-back' };
    }
    if (now !== was) this.replace(now, was);
    if (u.values !== undefined) this.refresh(was, u.values);
    return { type: 'updated', binding: was, reason: 'rolled-back' };
  }

  /** Stops the expiry timers (server stop); the bindings stay in the store for the next start. */
  close(): void {
    this.expiry.clear();
  }

  /**
   * A refresh (same id, AOR, contact, instance and reg-id) changes the stored binding in place, so
   * that a binding refreshed every few minutes for hours stays one object: a new one per REGISTER
   * lived until the next refresh in V8's old space (promoted, or allocated there outright once V8
   * pretenured buildBinding's site) and died there, and every index had it removed and added again.
   * Only the source index (when the REGISTER came from another source) and the expiry slot (when it
   * moves) are touched; the AOR list keeps its order.
   * Safe for the consumers: none keeps a binding to compare it with a later one (the presence agent,
   * offline delivery and the flow state read the AOR or the source of the binding an event names; the
   * contact index keys it by id and contact, which do not change here; the prober and the proxy read a
   * binding when they use it). 'change' events and lookups hand out the live object, and both stores
   * copy a record when it is put (memory-store.ts, binding-row.ts), so a later refresh never changes
   * what was written; an 'updated' event that fires after another refresh shows the newer values.
   */
  private refresh(b: BindingRecord, u: BindingUpdate): void {
    // The registrar plans and applies in one turn, so `b` is still stored; if not, it comes back.
    if (!(this.byAor.get(b.aor)?.includes(b) ?? false)) {
      applyUpdate(b, u);
      this.insert(b);
      return;
    }
    const moves = !sameSource(b, u);
    if (moves) this.removeFromSource(keyOfBinding(b), b);
    const was = b.expiresAt;
    // `u` gets the values `b` had: the caller keeps it to undo this refresh should its write fail.
    swapUpdate(b, u);
    if (moves) this.addToSource(keyOfBinding(b), b);
    this.expiry.moved(b, was);
  }

  /**
   * A put: `b` takes the place of `previous` in its AOR's list (the AOR is not emptied and made
   * again, which would move it behind a dump in progress), or is added when there is none.
   */
  private replace(previous: BindingRecord | undefined, b: BindingRecord): void {
    const list = previous === undefined || previous.aor !== b.aor ? undefined : this.byAor.get(b.aor);
    const i = list === undefined || previous === undefined ? -1 : list.indexOf(previous);
    if (list === undefined || previous === undefined || i < 0) {
      if (previous !== undefined) this.delete(previous);
      this.insert(b);
      return;
    }
    list[i] = b;
    this.removeFromSource(keyOfBinding(previous), previous);
    this.expiry.disarm(previous);
    this.addToSource(keyOfBinding(b), b);
    this.expiry.arm(b);
  }

  private insert(b: BindingRecord): void {
    const list = this.byAor.get(b.aor);
    if (list === undefined) {
      const made = [b];
      this.listMade.set(made, ++this.listsMade);
      this.byAor.set(b.aor, made);
    } else {
      list.push(b);
    }
    this.addToSource(keyOfBinding(b), b);
    this.expiry.arm(b);
    this.total++;
  }

  /** False when the binding was no longer there (already removed by another event). */
  private delete(b: BindingRecord): boolean {
    const list = this.byAor.get(b.aor);
    if (list === undefined || !list.includes(b)) return false;
    if (without(list, b).length === 0) this.byAor.delete(b.aor);
    this.removeFromSource(keyOfBinding(b), b);
    this.expiry.disarm(b);
    this.total--;
    return true;
  }

  private addToSource(key: string, b: BindingRecord): void {
    const entry = this.bySource.get(key);
    if (entry === undefined) this.bySource.set(key, b);
    else if (entry instanceof Set) entry.add(b);
    else this.bySource.set(key, new Set([entry, b]));
  }

  private removeFromSource(key: string, b: BindingRecord): void {
    const entry = this.bySource.get(key);
    if (entry === b) {
      this.bySource.delete(key);
    } else if (entry instanceof Set) {
      entry.delete(b);
      if (entry.size === 1) this.bySource.set(key, entry.values().next().value as BindingRecord);
    }
  }

  private expire(b: BindingRecord): void {
    this.apply([{ kind: 'remove', binding: b, reason: 'expired' }]).catch((err: unknown) =>
      this.log.warn({ aor: b.aor, contact: b.contact, err: String(err) }, 'could not delete an expired binding from the store'));
  }
}
