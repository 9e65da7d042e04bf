// A JSON array written in pieces (GET /msg): a listing of many large stored messages neither builds
// one huge string nor holds the event loop. Each piece is about `chunkBytes` of JSON; after each the
// writer waits for the socket to drain (backpressure) or at least for the next loop turn, as the
// location dump does (ul-dump.ts). The client still receives one JSON array.
import type { Writable } from 'node:stream';
import { drained, nextTurn } from './ul-dump.js';

/** About 0.25 MB of JSON between two yields to the event loop (about a millisecond of work). */
export const JSON_CHUNK_BYTES = 256 * 1024;

/**
 * Writes `items` as a JSON array (each through `view`) and ends `out`; false when the reader left
 * first. `items` may be asynchronous (GET /msg reads each body from the store as it comes).
 */
export async function writeJsonArray<T>(
  items: Iterator<T> | AsyncIterator<T>, view: (item: T) => unknown, out: Writable, chunkBytes = JSON_CHUNK_BYTES,
): Promise<boolean> {
  let chunk = '[';
  let first = true;
  for (;;) {
    if (out.destroyed) return false;
    let done = false;
    while (chunk.length < chunkBytes) {
      const next = await items.next();
      if (next.done === true) {
        done = true;
        break;
      }
      chunk += (first ? '' : ',') + JSON.stringify(view(next.value));
      first = false;
    }
    if (done) {
      out.end(`${chunk}]\n`);
      return true;
    }
    const flowing = out.write(chunk);
    chunk = '';
    if (!flowing) await drained(out);
    // Always a turn of the event loop (see writeBindingDump): a 'drain' can come without one.
    await nextTurn();
  }
}
