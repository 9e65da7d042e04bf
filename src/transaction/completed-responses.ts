/**
 * The Completed state of non-INVITE server transactions over UDP (RFC 3261 17.2.2), held without an
 * object per transaction.
 *
 * A server keeps every request it answers over UDP for Timer J (64*T1, 32 s), only to resend the same
 * final response when the request is retransmitted. At 20,000 requests/s that is 640,000 transactions
 * at once. As objects (the transaction, its source, its response Buffer) they cost about 2 KB each:
 * 1.5 GB of heap, all of it promoted to V8's old space and collected there. Here they cost a Map
 * entry (key string -> small integer) and the response bytes, copied into large off-heap blocks.
 *
 * Layout: entries are appended to generations, one per 1/32 of Timer J (or sooner when one is full).
 * A generation is dropped as a whole once its last entry's Timer J has run out; a lookup checks the
 * entry's own deadline, so each entry lives exactly Timer J. An entry's place is a Smi:
 * ring slot (6 bits) | block (4 bits) | offset in block (20 bits). Record in a block:
 *   f64 deadline | u32 response length | u16 remote port | u8 listener | u8 address length |
 *   address (latin1) | response bytes
 * Bound: 64 generations of at most ~11 MB; past that the oldest generation is dropped early (its
 * requests, if retransmitted, are then handled as new ones).
 */
import type { Endpoint, SocketIdentity } from '../transport/types.js';
import type { TimerHandle, TimerHeap } from './timer-heap.js';

const RING = 64;
const BLOCKS_PER_GENERATION = 16;
/** Smaller bounds for tests; the place encoding needs ring <= 64 and blocks <= 16. */
export interface CompletedLimits {
  generations: number;
  blocksPerGeneration: number;
}
const OFFSET_BITS = 20;
const BLOCK_LIMIT = 1 << OFFSET_BITS;
const FIRST_BLOCK = 16 * 1024;
const HEADER = 8 + 4 + 2 + 1 + 1;
/** Generations per Timer J: an entry lives at most 1/32 longer in memory than it can be found. */
const GENERATIONS_PER_LINGER = 32;

interface Generation {
  readonly slot: number;
  readonly endsAt: number;
  readonly blocks: Buffer[];
  /** Bytes used in the last block. */
  used: number;
  /** Latest deadline of its entries: when the generation can go. */
  lastDeadline: number;
  /** Its entries' keys and places, to take them out of the index when it goes. */
  readonly keys: string[];
  readonly places: number[];
}

/** Where a response is resent: the listener it came in on and the remote address and port. */
interface ListenerRecord {
  name: string;
  local: Endpoint;
}

export class CompletedResponses {
  private readonly index = new Map<string, number>();
  private readonly ring: Array<Generation | undefined>;
  private readonly blocksPerGeneration: number;
  /** Live generations, oldest first. */
  private readonly live: Generation[] = [];
  private readonly listeners: ListenerRecord[] = [];
  private readonly generationMs: number;
  private nextSlot = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly timers: TimerHeap,
    /** Timer J. */
    private readonly lingerMs: number,
    /** Sends the final response of `key` again to where its request came from. */
    private readonly resend: (bytes: Buffer, source: SocketIdentity, key: string) => void,
    limits: CompletedLimits = { generations: RING, blocksPerGeneration: BLOCKS_PER_GENERATION },
  ) {
    this.generationMs = Math.max(1, lingerMs / GENERATIONS_PER_LINGER);
    this.ring = new Array<Generation | undefined>(Math.min(limits.generations, RING)).fill(undefined);
    this.blocksPerGeneration = Math.min(limits.blocksPerGeneration, BLOCKS_PER_GENERATION);
  }

  /** Requests in Completed. */
  get size(): number {
    return this.index.size;
  }

  /**
   * Enters Completed for `key`: retransmissions of its request get `bytes` again, sent back to
   * `source`, until Timer J. Nothing is held for a response larger than a block (1 MB: never over
   * UDP) or past 256 UDP listeners: a retransmission of that request is then handled as a new one.
   */
  add(key: string, bytes: Buffer, source: SocketIdentity): void {
    const listener = this.listenerIndex(source);
    const address = source.remote.address;
    const size = HEADER + address.length + bytes.length;
    if (listener < 0 || size > BLOCK_LIMIT || address.length > 255) return;
    const now = this.timers.now();
    const gen = this.generationFor(now, size);
    const blockIndex = gen.blocks.length - 1;
    const block = gen.blocks[blockIndex];
    const at = gen.used;
    const deadline = now + this.lingerMs;
    // Byte stores and TypedArray.set: Buffer.write and Buffer.copy cross into C++ for a few bytes.
    block.writeDoubleLE(deadline, at);
    block.writeUInt32LE(bytes.length, at + 8);
    block.writeUInt16LE(source.remote.port, at + 12);
    block[at + 14] = listener;
    block[at + 15] = address.length;
    for (let i = 0; i < address.length; i++) block[at + HEADER + i] = address.charCodeAt(i);
    block.set(bytes, at + HEADER + address.length);
    gen.used = at + size;
    gen.lastDeadline = deadline;
    const place = (gen.slot << (OFFSET_BITS + 4)) | (blockIndex << OFFSET_BITS) | at;
    this.index.set(key, place);
    gen.keys.push(key);
    gen.places.push(place);
    if (this.timer === undefined) this.arm();
  }

  /**
   * A request arrived with `key`: when it is in Completed, its final response is resent and the
   * answer is true (RFC 3261 17.2.2: "the server transaction MUST pass the final response to the
   * transport layer for retransmission").
   */
  retransmit(key: string): boolean {
    const place = this.index.get(key);
    if (place === undefined) return false;
    const gen = this.ring[place >>> (OFFSET_BITS + 4)];
    if (gen === undefined) return false;
    const block = gen.blocks[(place >>> OFFSET_BITS) & (BLOCKS_PER_GENERATION - 1)];
    const at = place & (BLOCK_LIMIT - 1);
    if (block.readDoubleLE(at) <= this.timers.now()) {
      this.index.delete(key); // Timer J ran out: the request is a new one
      return false;
    }
    const length = block.readUInt32LE(at + 8);
    const port = block.readUInt16LE(at + 12);
    const listener = this.listeners[block[at + 14]];
    const addressLength = block[at + 15];
    const address = block.toString('latin1', at + HEADER, at + HEADER + addressLength);
    const start = at + HEADER + addressLength;
    const bytes = Buffer.from(block.subarray(start, start + length));
    const remote: Endpoint = { address, port, family: address.includes(':') ? 6 : 4 };
    this.resend(bytes, { protocol: 'udp', local: listener.local, remote, listener: listener.name }, key);
    return true;
  }

  /** Ends Completed for `key` early (a transport error terminates the transaction, RFC 3261 17.2.4). */
  delete(key: string): void {
    this.index.delete(key);
  }

  clear(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.index.clear();
    for (const gen of this.live) this.ring[gen.slot] = undefined;
    this.live.length = 0;
  }

  private listenerIndex(source: SocketIdentity): number {
    const i = this.listeners.findIndex((l) => l.name === source.listener);
    if (i >= 0) return i;
    if (this.listeners.length > 255) return -1;
    this.listeners.push({ name: source.listener, local: { ...source.local } });
    return this.listeners.length - 1;
  }

  /** The generation that takes a record of `size` bytes now: the current one, with room, or a new one. */
  private generationFor(now: number, size: number): Generation {
    const current = this.live[this.live.length - 1];
    if (current !== undefined && now < current.endsAt) {
      const block = current.blocks[current.blocks.length - 1];
      if (current.used + size <= block.length) return current;
      if (current.blocks.length < this.blocksPerGeneration) {
        current.blocks.push(Buffer.allocUnsafeSlow(Math.max(blockSize(current.blocks.length), size)));
        current.used = 0;
        return current;
      }
    }
    const slot = this.nextSlot;
    this.nextSlot = (slot + 1) % this.ring.length;
    const occupant = this.ring[slot];
    if (occupant !== undefined) this.drop(occupant); // 64 generations alive: the oldest goes early
    const gen: Generation = {
      slot, endsAt: now + this.generationMs, blocks: [Buffer.allocUnsafeSlow(Math.max(FIRST_BLOCK, size))],
      used: 0, lastDeadline: now + this.lingerMs, keys: [], places: [],
    };
    this.ring[slot] = gen;
    this.live.push(gen);
    return gen;
  }

  private drop(gen: Generation): void {
    for (let i = 0; i < gen.keys.length; i++) {
      const key = gen.keys[i];
      if (this.index.get(key) === gen.places[i]) this.index.delete(key);
    }
    this.ring[gen.slot] = undefined;
    this.live.splice(this.live.indexOf(gen), 1);
  }

  private arm(): void {
    const oldest = this.live[0];
    if (oldest === undefined) return;
    this.timer = this.timers.schedule(Math.max(0, oldest.lastDeadline - this.timers.now()), () => this.dropDue());
  }

  private dropDue(): void {
    this.timer = undefined;
    const now = this.timers.now();
    while (this.live.length > 0 && this.live[0].lastDeadline <= now) this.drop(this.live[0]);
    this.arm();
  }
}

/** Blocks grow 16 KB, 32 KB, ... up to 1 MB: a quiet server holds little, a busy one few blocks. */
function blockSize(index: number): number {
  return Math.min(FIRST_BLOCK << index, BLOCK_LIMIT);
}
