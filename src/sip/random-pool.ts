// Random identifiers (tags, branches, Call-IDs) are needed for every response and request: asking the
// kernel for 8 bytes each time costs more than the rest of building a response. One 4 KiB draw from
// the CSPRNG serves hundreds of them.
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

/** `n` (at most 4096) cryptographically random bytes, as a view that is only valid until the next call. */
export function randomView(n: number): Buffer {
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const view = pool.subarray(offset, offset + n);
  offset += n;
  return view;
}
