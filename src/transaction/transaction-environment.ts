/**
 * What a transaction needs from its layer: the transport port, the shared timer heap, the timer
 * settings, and a way to leave the layer's tables once it is terminated.
 */
import type { SipMessage } from '../sip/message.js';
import type { SendTarget, SocketIdentity } from '../transport/types.js';
import type { ClientTransaction } from './client-transaction.js';
import type { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import type { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { ServerTransaction } from './server-transaction.js';
import type { TimerHeap, TimerHandle } from './timer-heap.js';
import type { TimerSettings } from './timers.js';

/** The two transport operations transactions use (the TransportManager offers both). */
export interface TransactionTransport {
  /** Sends bytes; resolves with the socket they left by (RFC 3261 18.1.1). */
  send(target: SendTarget, data: Buffer): Promise<SocketIdentity>;
  /**
   * Sends a response back along the request's path (RFC 3261 18.2.2, RFC 3581); `data`, when given,
   * is `response.toBuffer()` already made by the caller.
   */
  sendResponse(response: SipMessage, requestSource: SocketIdentity, data?: Buffer): Promise<void>;
}

/** RFC 3261 17.1.1, 17.1.2, 17.2.1, 17.2.2 plus RFC 6026's Accepted state. */
export type TransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface TransactionEnvironment {
  readonly transport: TransactionTransport;
  readonly timers: TimerHeap;
  readonly settings: TimerSettings;
  /** Called once, when the transaction enters Terminated. */
  readonly onTerminated: (key: string, transaction: object) => void;
  /**
   * A non-INVITE server transaction over UDP entered Completed with the final response `data`: the
   * layer answers its retransmissions from now on, until Timer J, and forgets the object.
   */
  readonly enterCompleted: (transaction: NonInviteServerTransaction, data: Buffer) => void;
  /**
   * A non-INVITE client transaction over UDP entered Completed: the layer absorbs retransmissions of
   * its response from now on, until Timer K, and forgets the object.
   */
  readonly enterCompletedClient: (transaction: NonInviteClientTransaction) => void;
  /** Called once per transaction with its first transport error, before its own 'transport-error' event. */
  readonly onTransportError: (error: Error, transaction: ServerTransaction | ClientTransaction) => void;
}

/** Streams deliver reliably; only UDP needs retransmissions (RFC 3261 17.1.1.2, 17.1.2.2, 17.2.1). */
export function isReliable(protocol: SendTarget['protocol']): boolean {
  return protocol !== 'udp';
}

/** The few named timers of one transaction, scheduled on the shared heap. */
export class TransactionTimers<Name extends string> {
  /** Made on the first start(): many transactions end without ever running a timer (streams). */
  private handles: Map<Name, TimerHandle> | undefined;

  constructor(private readonly heap: TimerHeap) {}

  /** (Re)starts timer `name`; a running timer of that name is replaced. */
  start(name: Name, delayMs: number, onFire: () => void): void {
    const handles = (this.handles ??= new Map());
    handles.get(name)?.cancel();
    handles.set(
      name,
      this.heap.schedule(delayMs, () => {
        handles.delete(name);
        onFire();
      }),
    );
  }

  stop(name: Name): void {
    if (this.handles === undefined) return;
    this.handles.get(name)?.cancel();
    this.handles.delete(name);
  }

  /** Cancels every timer and lets go of the table (a Completed transaction may linger for Timer K). */
  stopAll(): void {
    if (this.handles === undefined) return;
    for (const handle of this.handles.values()) handle.cancel();
    this.handles = undefined;
  }
}
