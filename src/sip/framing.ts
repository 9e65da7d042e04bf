// Stream framing for TCP/TLS (RFC 3261 18.3) with RFC 5626 3.5.1 keepalives, and datagram triage.

import { DEFAULT_LIMITS, type ParseLimits } from './limits.js';
import { isStunMessage } from './stun.js';
import { isTokenChar } from './scan.js';

export type FrameEvent =
  | { type: 'message'; data: Buffer }
  /** CRLFCRLF: a keepalive ping from the peer (RFC 5626 4.4.1); answer with a CRLF pong. */
  | { type: 'ping' }
  /** A lone CRLF: the pong answering our ping (RFC 5626 4.4.1). */
  | { type: 'pong' }
  /** Fatal: the stream is out of sync and must be closed. `data`: the bytes of the message that failed. */
  | { type: 'error'; reason: string; data: Buffer };

const EMPTY = Buffer.alloc(0);
const ANY = { kind: 'any' } as const;
/** The smallest buffer for incomplete bytes: a partial message usually grows past a few hundred bytes. */
const MIN_BUFFER = 1024;
/** Pings whose pongs may still come (a late pong, then the next): beyond, a peer is not ponging. */
const MAX_PONGS_AWAITED = 2;

/**
 * The end of a header section at or after `pos`: the index of the LF that ends the last header line
 * and where the body starts, or undefined when the blank line has not arrived. A blank line is CRLF
 * or, as the parser tolerates too (RFC 3261 7.5 leniency), a bare LF: framing must agree with it,
 * or a bare-LF message would run on into the next one.
 */
function headerEnd(buf: Buffer, pos: number): { lf: number; body: number } | undefined {
  for (let lf = buf.indexOf(10, pos); lf !== -1; lf = buf.indexOf(10, lf + 1)) {
    if (buf[lf + 1] === 10) return { lf, body: lf + 2 };
    if (buf[lf + 1] === 13 && buf[lf + 2] === 10) return { lf, body: lf + 3 };
  }
  return undefined;
}

/**
 * Splits a byte stream into messages. On a stream Content-Length is mandatory (RFC 3261 18.3,
 * 20.14); without it the end of a message cannot be known, so its absence is fatal.
 */
export class StreamFramer {
  private readonly limits: ParseLimits;
  /**
   * Bytes of an incomplete message (or keepalive), at the start of a buffer that grows by doubling:
   * a message that trickles in a few bytes per read costs its length in copies, not its length
   * squared (a Buffer.concat per read made 40 KB/s of trickle over 20 connections a full core).
   * Bytes already framed are never written over: a new buffer takes what is left after a message.
   */
  private acc: Buffer = EMPTY;
  private accLen = 0;
  /** What the incomplete bytes wait for: any byte (keepalives), a header end, or a body length. */
  private stall: { kind: 'any' } | { kind: 'header'; scanFrom: number; lastLf: number } | { kind: 'body'; needed: number } = ANY;
  private failed = false;
  /**
   * The last bytes taken were a CRLF that ended a read while no pong was awaited: when the next read
   * starts with another CRLF, the two were a CRLFCRLF ping split across reads (RFC 3261 18.3: a
   * stream may be cut anywhere), which still deserves its pong.
   */
  private crlfAtEnd = false;
  /**
   * CRLFCRLF pings we sent on this stream that no CRLF answered yet (see expectPong). While one is
   * owed, a CRLF is its pong, whatever reads it arrives in: never half of a ping to be answered.
   */
  private pongsAwaited = 0;

  constructor(limits: Partial<ParseLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * We sent a CRLFCRLF ping on this stream: the next CRLF from the peer is its pong (RFC 5626 4.4.1).
   * Without this, two pongs in separate reads looked like one ping split across them: the pinging
   * side saw no pong, and answered the peer's pong with one of its own.
   */
  expectPong(): void {
    // At most a few owed: a peer that never pongs (a registrar without RFC 5626, pinged only to keep
    // a NAT open) must not make every later CRLFCRLF ping of its own look like pongs.
    this.pongsAwaited = Math.min(this.pongsAwaited + 1, MAX_PONGS_AWAITED);
    this.crlfAtEnd = false;
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.accLen;
  }

  push(chunk: Buffer): FrameEvent[] {
    if (this.failed) return [];
    let buf = chunk;
    if (this.accLen > 0) {
      const before = this.accLen;
      this.append(chunk);
      if (!this.mayProgress(before, chunk)) return [];
      buf = this.acc.subarray(0, this.accLen);
    }
    this.stall = ANY;
    const events: FrameEvent[] = [];
    let pos = 0;
    if (this.crlfAtEnd) {
      this.crlfAtEnd = false;
      // A CRLF that completes the one before (a read starting with a whole CRLFCRLF is a ping of its own).
      if (buf[0] === 13 && buf[1] === 10 && !(buf[2] === 13 && buf[3] === 10)) {
        events.push({ type: 'ping' });
        pos = 2;
      }
    }
    while (pos < buf.length) {
      if (buf[pos] === 13 || buf[pos] === 10) {
        const ka = this.keepalive(buf, pos, events);
        if (ka === -1) break;
        pos = ka;
        continue;
      }
      const consumed = this.message(buf, pos, events);
      if (consumed === -1) break;
      if (consumed === -2) {
        this.failed = true;
        this.acc = EMPTY;
        this.accLen = 0;
        return events;
      }
      pos = consumed;
    }
    this.keep(buf, pos);
    return events;
  }

  /** Appends a read to the incomplete bytes, doubling the buffer when it is full. */
  private append(chunk: Buffer): void {
    const needed = this.accLen + chunk.length;
    if (needed > this.acc.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.acc.length * 2));
      this.acc.copy(grown, 0, 0, this.accLen);
      this.acc = grown;
    }
    chunk.copy(this.acc, this.accLen);
    this.accLen = needed;
  }

  /**
   * Whether the bytes now buffered can frame something or fail: a body waits for its length; a
   * header section for a blank line, looked for among the new bytes only, or for a limit to be
   * passed (the full pass then reports it).
   */
  private mayProgress(before: number, chunk: Buffer): boolean {
    const stall = this.stall;
    if (stall.kind === 'any') return true;
    if (stall.kind === 'body') return this.accLen >= stall.needed;
    const view = this.acc.subarray(0, this.accLen);
    if (headerEnd(view, stall.scanFrom) !== undefined) return true;
    const lf = chunk.lastIndexOf(10);
    if (lf >= 0) stall.lastLf = before + lf;
    stall.scanFrom = Math.max(0, this.accLen - 3);
    const { maxMessageSize, maxLineLength } = this.limits;
    return this.accLen > maxMessageSize || this.accLen - (stall.lastLf + 1) > maxLineLength + 1;
  }

  /** Keeps `buf` from `pos` on as the incomplete bytes, in a buffer of its own (framed messages are views of `buf`). */
  private keep(buf: Buffer, pos: number): void {
    const rest = buf.length - pos;
    if (rest === 0) {
      this.acc = EMPTY;
      this.accLen = 0;
      this.stall = ANY;
      return;
    }
    const fresh = Buffer.allocUnsafe(Math.max(rest * 2, MIN_BUFFER));
    buf.copy(fresh, 0, pos);
    this.acc = fresh;
    this.accLen = rest;
    // message() said what the bytes at `pos` wait for, in `buf`'s positions: here they start at 0.
    const stall = this.stall;
    if (stall.kind === 'header') this.stall = { kind: 'header', scanFrom: Math.max(0, stall.scanFrom - pos), lastLf: stall.lastLf - pos };
    else if (stall.kind === 'body') this.stall = { kind: 'body', needed: stall.needed - pos };
  }

  /** Handles CR/LF octets between messages; -1 when more bytes are needed to decide. */
  private keepalive(buf: Buffer, pos: number, events: FrameEvent[]): number {
    if (buf[pos] === 13 && buf[pos + 1] === 10) {
      if (this.pongsAwaited > 0) {
        this.pongsAwaited--;
        events.push({ type: 'pong' });
        return pos + 2;
      }
      if (pos + 2 === buf.length) {
        events.push({ type: 'pong' });
        this.crlfAtEnd = true;
        return pos + 2;
      }
      if (buf[pos + 2] === 13) {
        if (pos + 3 === buf.length) return -1;
        if (buf[pos + 3] === 10) {
          events.push({ type: 'ping' });
          return pos + 4;
        }
      }
      events.push({ type: 'pong' });
      return pos + 2;
    }
    if (buf[pos] === 13 && pos + 1 === buf.length) return -1;
    // A stray CR or LF between messages is ignored (RFC 3261 7.5).
    return pos + 1;
  }

  /** Frames one message at pos; returns the index after it, -1 when incomplete, -2 after an error. */
  private message(buf: Buffer, pos: number, events: FrameEvent[]): number {
    const { maxMessageSize, maxHeaders, maxLineLength } = this.limits;
    const section = headerEnd(buf, pos);
    if (section === undefined) {
      const avail = buf.length - pos;
      if (avail > maxMessageSize) return this.fail(events, 'message too large', buf, pos);
      const lastLf = buf.lastIndexOf(10);
      if (buf.length - Math.max(lastLf + 1, pos) > maxLineLength + 1) return this.fail(events, 'header line too long', buf, pos);
      this.stall = { kind: 'header', scanFrom: Math.max(pos, buf.length - 3), lastLf: Math.max(lastLf, pos - 1) };
      return -1;
    }
    const bodyStart = section.body;
    if (bodyStart - pos > maxMessageSize) return this.fail(events, 'message too large', buf, pos);
    // The header section without the line break of its last line; folded lines (RFC 3261 7.3.1,
    // starting with SP or HTAB) belong to the header above them, as the parser reads them: one
    // header, one line for the length limit, and a folded Content-Length value is still found.
    const head = buf.toString('latin1', pos, section.lf);
    let length = -1;
    let fields = 0;
    let fieldStart = 0;
    while (fieldStart < head.length) {
      let fieldEnd = head.indexOf('\n', fieldStart);
      if (fieldEnd === -1) fieldEnd = head.length;
      while (fieldEnd < head.length && (head.charCodeAt(fieldEnd + 1) === 32 || head.charCodeAt(fieldEnd + 1) === 9)) {
        const next = head.indexOf('\n', fieldEnd + 1);
        fieldEnd = next === -1 ? head.length : next;
      }
      const textEnd = head.charCodeAt(fieldEnd - 1) === 13 ? fieldEnd - 1 : fieldEnd;
      if (textEnd - fieldStart > maxLineLength) return this.fail(events, 'header line too long', buf, pos);
      if (fields > 0) {
        const cl = contentLengthLine(head, fieldStart, textEnd);
        if (cl === -2) return this.fail(events, 'malformed Content-Length header', buf, pos);
        if (cl >= 0) {
          if (length >= 0 && length !== cl) return this.fail(events, 'multiple Content-Length headers', buf, pos);
          length = cl;
        }
      }
      if (++fields > maxHeaders + 1) return this.fail(events, 'too many headers', buf, pos);
      fieldStart = fieldEnd + 1;
    }
    if (length < 0) return this.fail(events, 'missing Content-Length header', buf, pos);
    const end = bodyStart + length;
    if (end - pos > maxMessageSize) return this.fail(events, 'message too large', buf, pos);
    if (end > buf.length) {
      this.stall = { kind: 'body', needed: end };
      return -1;
    }
    events.push({ type: 'message', data: buf.subarray(pos, end) });
    return end;
  }

  private fail(events: FrameEvent[], reason: string, buf: Buffer, pos: number): number {
    events.push({ type: 'error', reason, data: buf.subarray(pos) });
    return -2;
  }
}

/** Content-Length (or its compact form l) on this line: its value, -1 for another header, -2 when malformed. */
function contentLengthLine(s: string, start: number, end: number): number {
  const colon = s.indexOf(':', start);
  if (colon === -1 || colon > end) return -1;
  let nameEnd = colon;
  while (nameEnd > start && (s.charCodeAt(nameEnd - 1) === 32 || s.charCodeAt(nameEnd - 1) === 9)) nameEnd--;
  const len = nameEnd - start;
  if (len !== 1 && len !== 14) return -1;
  const name = s.slice(start, nameEnd).toLowerCase();
  if (name !== 'l' && name !== 'content-length') return -1;
  let i = colon + 1;
  // Whitespace and folding line breaks before the value (RFC 3261 7.3.1).
  while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9 || s.charCodeAt(i) === 13 || s.charCodeAt(i) === 10)) i++;
  let e = end;
  while (e > i && (s.charCodeAt(e - 1) === 13 || s.charCodeAt(e - 1) === 32 || s.charCodeAt(e - 1) === 9)) e--;
  if (e === i || e - i > 9) return -2;
  let n = 0;
  for (let k = i; k < e; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return -2;
    n = n * 10 + c - 48;
  }
  return n;
}

export type DatagramKind = 'sip' | 'keepalive' | 'stun' | 'junk';

/**
 * Sorts a datagram before parsing: keepalives (a NUL octet as libpurple sends, CRLF, CRLFCRLF,
 * RFC 5626 3.5.1), STUN (RFC 5389 6, RFC 5626 4.4.2), SIP, or junk that is not worth parsing.
 */
export function classifyDatagram(buf: Buffer): DatagramKind {
  if (buf.length === 0) return 'junk';
  if (buf.length === 1 && buf[0] === 0) return 'keepalive';
  if (buf.length <= 4 && isCrlfRun(buf)) return 'keepalive';
  if (isStunMessage(buf)) return 'stun';
  let i = 0;
  while (i < buf.length && (buf[i] === 13 || buf[i] === 10)) i++;
  if (i === buf.length) return 'keepalive';
  return isTokenChar(buf[i]) ? 'sip' : 'junk';
}

function isCrlfRun(buf: Buffer): boolean {
  if (buf.length !== 2 && buf.length !== 4) return false;
  for (let i = 0; i < buf.length; i += 2) if (buf[i] !== 13 || buf[i + 1] !== 10) return false;
  return true;
}
