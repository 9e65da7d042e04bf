// Typing indications (RFC 3994). Sending: the first keystroke sends "active" with a refresh
// interval, still typing after the refresh interval sends "active" again (3.2), no keystroke for
// the idle timeout sends "idle" (3.2: 15 s is the suggested value), and a sent message ends the
// active state without an idle document (the message itself tells the receiver, 3.2). Receiving:
// "active" lasts its refresh interval unless refreshed (4), and a message from the composer ends it.
import { composeIsComposing, IS_COMPOSING_CONTENT_TYPE, parseIsComposing, type ComposingState } from '../messaging/is-composing.js';

/** RFC 3994 4: the receiver's default when an active state carries no refresh. */
const DEFAULT_RECEIVED_REFRESH_S = 120;

export interface TypingOptions {
  refreshSeconds: number;
  idleMs: number;
}

interface Outgoing { lastActiveAt: number; idleTimer: NodeJS.Timeout }

export class TypingIndicator {
  private readonly outgoing = new Map<string, Outgoing>();
  private readonly incoming = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly options: TypingOptions,
    private readonly send: (to: string, body: string, contentType: string) => void,
    private readonly emit: (from: string, state: ComposingState) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The local user typed something in the conversation with `to`. */
  composing(to: string): void {
    const current = this.outgoing.get(to);
    if (current !== undefined) clearTimeout(current.idleTimer);
    const due = current === undefined || this.now() - current.lastActiveAt >= this.options.refreshSeconds * 1000;
    const idleTimer = setTimeout(() => this.stop(to), this.options.idleMs);
    idleTimer.unref();
    this.outgoing.set(to, { lastActiveAt: due ? this.now() : (current as Outgoing).lastActiveAt, idleTimer });
    if (due) this.sendState(to, 'active');
  }

  /** The local user stopped (cleared the input, closed the chat): idle, if we said active. */
  stop(to: string): void {
    const current = this.outgoing.get(to);
    if (current === undefined) return;
    clearTimeout(current.idleTimer);
    this.outgoing.delete(to);
    this.sendState(to, 'idle');
  }

  /** A message went to `to`: the receiver goes idle on its own (RFC 3994 3.2). */
  messageSent(to: string): void {
    const current = this.outgoing.get(to);
    if (current === undefined) return;
    clearTimeout(current.idleTimer);
    this.outgoing.delete(to);
  }

  /** An is-composing document from `from`; throws IsComposingError when it is not one. */
  received(from: string, body: string): void {
    const doc = parseIsComposing(body);
    clearTimeout(this.incoming.get(from));
    this.incoming.delete(from);
    if (doc.state === 'active') {
      const lapse = setTimeout(() => this.lapse(from), (doc.refresh ?? DEFAULT_RECEIVED_REFRESH_S) * 1000);
      lapse.unref();
      this.incoming.set(from, lapse);
    }
    this.emit(from, doc.state);
  }

  /** A message from `from` arrived: its composer is no longer typing (RFC 3994 4). */
  messageReceived(from: string): void {
    if (!this.incoming.has(from)) return;
    this.lapse(from);
  }

  close(): void {
    for (const o of this.outgoing.values()) clearTimeout(o.idleTimer);
    for (const t of this.incoming.values()) clearTimeout(t);
    this.outgoing.clear();
    this.incoming.clear();
  }

  private lapse(from: string): void {
    clearTimeout(this.incoming.get(from));
    this.incoming.delete(from);
    this.emit(from, 'idle');
  }

  private sendState(to: string, state: ComposingState): void {
    const body = composeIsComposing({
      state, contentType: 'text/plain', refresh: state === 'active' ? this.options.refreshSeconds : undefined,
      lastActive: state === 'idle' ? new Date(this.now()).toISOString() : undefined,
    });
    this.send(to, body, IS_COMPOSING_CONTENT_TYPE);
  }
}
