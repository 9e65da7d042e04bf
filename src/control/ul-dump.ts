// The location dump: every binding as NDJSON (one JSON object per line), written in batches so a
// table of a million bindings neither builds one huge string nor holds the event loop: after each
// batch the dump waits for the socket to drain (backpressure) or at least for the next loop turn
// (setImmediate), so SIP traffic and timers keep running while an operator dumps the table.
import type { Writable } from 'node:stream';
import type { BindingRecord } from '../store/types.js';
import { toBindingView } from './binding-view.js';

/** Bindings serialized between two yields to the event loop (about 0.5 MB, 1 to 2 ms of work). */
export const DUMP_BATCH = 1000;

export interface DumpResult {
  bindings: number;
  /** False when the reader went away before the end. */
  complete: boolean;
}

/**
 * Writes `bindings` to `out` as NDJSON and ends it. The iterator is read between event-loop turns,
 * so it must tolerate changes to the table between two `next()` calls (a Map iterator does).
 */
export async function writeBindingDump(
  bindings: Iterator<BindingRecord>, out: Writable, batch = DUMP_BATCH,
): Promise<DumpResult> {
  let count = 0;
  for (;;) {
    if (out.destroyed) return { bindings: count, complete: false };
    const now = Date.now();
    let chunk = '';
    let done = false;
    for (let i = 0; i < batch; i++) {
      const next = bindings.next();
      if (next.done === true) {
        done = true;
        break;
      }
      chunk += `${JSON.stringify(toBindingView(next.value, now))}\n`;
      count++;
    }
    if (done) {
      out.end(chunk);
      return { bindings: count, complete: true };
    }
    if (!out.write(chunk)) await drained(out);
    // Always a turn of the event loop: when the kernel takes the bytes at once, 'drain' comes on
    // the next tick, and a dump of a million bindings then held SIP and timers for seconds.
    await nextTurn();
  }
}

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves on 'drain', or on 'close' when the reader hangs up (no drain will ever come then). */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}
