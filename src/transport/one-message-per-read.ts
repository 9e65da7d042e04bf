// Paced writes for stream peers that handle one SIP message per read() (libpurple's SIMPLE).
//
// libpurple's process_input (prpl-simple) frames only the first complete message of its buffer on
// each read and leaves the rest until more data comes. Two of our messages that land in one read
// (the 200 to its SUBSCRIBE and the first NOTIFY, written in the same millisecond) leave the second
// waiting, and a peer that then has nothing to answer gets no more data: the NOTIFY is never handled
// and the buddy shows offline. Every later read still handles one message, so the backlog never
// shrinks by itself. A lone CRLF (RFC 3261 7.5) cannot help: libpurple's leading-CRLF strip moves the
// buffer without its terminator, duplicating its last bytes in front of the next message.
//
// So for such a peer each message is written in two parts: all but its last octet at once, the last
// octet ONE_MESSAGE_PER_READ_GAP_MS later, one message after another. A message is complete only at
// its last octet, so two messages complete in one read only if the peer did not read for a whole gap;
// and the first part of every message is a read that completes nothing, in which a message left
// waiting is handled. TCP is a byte stream (RFC 3261 18.3): any peer reads the same bytes.

/** Long enough for a peer on a loaded host to have read; short enough for chat (20 messages/s). */
export const ONE_MESSAGE_PER_READ_GAP_MS = 50;

/** How many messages from a peer are examined for a User-Agent before giving up. */
const MESSAGES_EXAMINED = 4;

/** User-Agent values of clients known to handle one SIP message per read() on a stream. */
const KNOWN_AGENTS = /^Purple\//;

/**
 * Decides from a peer's first messages whether it handles one message per read(): `true` or `false`
 * once a User-Agent (or Server) header has been seen, `undefined` while none has.
 */
export class OneMessagePerReadDetector {
  private examined = 0;

  /** The verdict after `message` (the raw bytes of one message from the peer). */
  examine(message: Buffer): boolean | undefined {
    if (this.examined >= MESSAGES_EXAMINED) return false;
    this.examined++;
    const agent = agentOf(message.toString('latin1', 0, Math.min(message.length, 4096)));
    if (agent === undefined) return this.examined >= MESSAGES_EXAMINED ? false : undefined;
    return KNOWN_AGENTS.test(agent);
  }
}

function agentOf(text: string): string | undefined {
  const end = text.indexOf('\r\n\r\n');
  const headers = end < 0 ? text : text.slice(0, end);
  return /\r\n(?:User-Agent|Server)[ \t]*:[ \t]*([^\r\n]*)/i.exec(headers)?.[1];
}

interface Pending {
  data: Buffer;
  done: (err: Error | null | undefined) => void;
}

/** Writes messages one after another, each as its body-less part first and its last octet after the gap. */
export class PacedWriter {
  private readonly queue: Pending[] = [];
  /** The message whose last octet waits for the gap. */
  private current: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly writeBytes: (data: Buffer, done?: (err: Error | null | undefined) => void) => void,
    private readonly gapMs = ONE_MESSAGE_PER_READ_GAP_MS,
  ) {}

  write(data: Buffer, done: (err: Error | null | undefined) => void): void {
    this.queue.push({ data, done });
    this.pump();
  }

  private pump(): void {
    while (this.current === undefined) {
      const next = this.queue.shift();
      if (next === undefined) return;
      if (next.data.length < 2) {
        this.writeBytes(next.data, next.done);
        continue;
      }
      this.current = next;
      this.writeBytes(next.data.subarray(0, next.data.length - 1));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.current = undefined;
        this.writeBytes(next.data.subarray(next.data.length - 1), next.done);
        this.pump();
      }, this.gapMs);
    }
  }

  /** The connection closed: what is still queued fails with `err`. */
  abort(err: Error): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = this.current === undefined ? this.queue.splice(0) : [this.current, ...this.queue.splice(0)];
    this.current = undefined;
    for (const p of pending) p.done(err);
  }
}
