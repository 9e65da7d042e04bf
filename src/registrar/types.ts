// Location service contracts (docs/internals.md, registrar/).
import type { BindingRecord } from '../store/types.js';

/**
 * `rolled-back`: a change whose store write failed was taken back (never announced itself): the
 * binding is as it was before it, `removed` when it was not there, `updated` when it is back.
 */
export type BindingChangeReason =
  | 'registered' | 'refreshed' | 'unregistered' | 'replaced' | 'expired' | 'connection-closed' | 'dead' | 'admin' | 'rolled-back';

/**
 * Emitted as 'change' by the location service for every binding added, updated or removed (presence uses it).
 * `binding` is the live record: a refresh updates it in place (location-service.ts refresh), so a
 * listener that wants to compare it with a later state must copy what it needs.
 */
export interface BindingChange {
  type: 'added' | 'updated' | 'removed';
  binding: BindingRecord;
  reason: BindingChangeReason;
}

/** What the control API and the proxy need from the location service. */
export interface LocationView {
  /** Current bindings of one AOR, highest q first. */
  lookup(aor: string): BindingRecord[];
  /** Every binding, AOR by AOR, without copying the table (the dump streams from this). */
  entries(): IterableIterator<BindingRecord>;
  counts(): { aors: number; bindings: number };
  /** Removes every binding of the AOR, or only the one whose contact URI equals `contact` (RFC 3261 19.1.4). Resolves with how many. */
  remove(aor: string, contact?: string, reason?: BindingChangeReason): Promise<number>;
}
