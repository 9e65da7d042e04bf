/**
 * What every client transaction (RFC 3261 17.1) offers its transaction user, and the plumbing the
 * INVITE and non-INVITE state machines share: (re)transmission and transport error reporting.
 *
 * The transaction adds no header to the request: the TU builds it complete, top Via and branch
 * included (RFC 3261 8.1.1.7); the transaction only sends, retransmits and matches.
 */
import { EventEmitter } from 'node:events';
import type { SipMessage } from '../sip/message.js';
import { TransportError } from '../transport/errors.js';
import type { SendTarget, SocketIdentity } from '../transport/types.js';
import {
  isReliable,
  TransactionTimers,
  type TransactionEnvironment,
  type TransactionState,
} from './transaction-environment.js';

const NO_BYTES = Buffer.alloc(0);

export interface ClientTransactionEvents {
  /** A 1xx response (RFC 3261 17.1.1.2, 17.1.2.2). */
  provisional: [response: SipMessage];
  /**
   * A final response. For INVITE, every 2xx (several forks may answer, and RFC 6026 7.2 passes 2xx
   * retransmissions up in the Accepted state: the TU/dialog ACKs each); a 3xx-6xx only once.
   */
  final: [response: SipMessage];
  /** Timer B or F fired (RFC 3261 17.1.1.2, 17.1.2.2): the TU treats it as a 408. */
  timeout: [];
  /**
   * The transport refused the request (or the ACK): RFC 3261 8.1.3.1 and 17.1.4 have the TU treat
   * it as a 503. The transaction is terminated; reported once per transaction.
   */
  'transport-error': [error: Error];
  terminated: [];
  /**
   * The layer closed while the transaction was still waiting for its final response: no answer
   * will ever be reported. A TU still waiting on it learns so instead of waiting for ever.
   */
  disposed: [];
}

export abstract class ClientTransaction extends EventEmitter<ClientTransactionEvents> {
  abstract readonly kind: 'invite' | 'non-invite';
  abstract state: TransactionState;
  /** The socket the request left by, once the first send succeeded. */
  connection: SocketIdentity | undefined;
  protected readonly reliable: boolean;
  protected readonly timers: TransactionTimers<string>;
  /** The request as serialized once; retransmissions repeat these bytes. */
  protected wire: Buffer;
  private transportErrorReported = false;
  private heldRequest: SipMessage | undefined;

  constructor(
    protected readonly env: TransactionEnvironment,
    /** The layer's key for this transaction (RFC 3261 17.1.3). */
    readonly key: string,
    request: SipMessage,
    readonly target: SendTarget,
    wire?: Buffer,
  ) {
    super();
    this.heldRequest = request;
    this.reliable = isReliable(target.protocol);
    this.timers = new TransactionTimers(env.timers);
    this.wire = wire ?? request.toBuffer();
  }

  /**
   * The request. A non-INVITE transaction lets go of it once it has sent it (undefined from then
   * on): Timer E resends its bytes, and nothing builds on a non-INVITE request later (CANCEL is for
   * INVITE, RFC 3261 9.1). A proxy under load has hundreds of requests in flight, each held twice
   * (as received and as forwarded) until its answer: the forwarded copy was 1.3 KB of 9.6 KB.
   */
  get request(): SipMessage | undefined {
    return this.heldRequest;
  }

  /** @internal Sends the request and starts the timers of the initial state. */
  abstract start(): void;

  /** @internal A response matched this transaction (RFC 3261 17.1.3). */
  abstract receiveResponse(response: SipMessage): void;

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  /** Still waiting for a final response (Calling, Trying or Proceeding, RFC 3261 17.1). */
  private get awaitingFinal(): boolean {
    return this.state === 'calling' || this.state === 'trying' || this.state === 'proceeding';
  }

  /** @internal Drops timers (the layer is closing); only 'disposed' is emitted, for a TU still waiting. */
  dispose(): void {
    this.timers.stopAll();
    const waiting = this.awaitingFinal;
    this.state = 'terminated';
    if (waiting) this.emit('disposed');
  }

  /**
   * Completed for good (non-INVITE): no response, timeout or transport error can be reported any more,
   * so the request, its bytes, its timers and the TU's listeners are released.
   */
  protected keepOnlyMatching(): void {
    this.releaseRequest();
    this.wire = NO_BYTES;
    this.timers.stopAll();
    this.removeAllListeners();
  }

  /** The request object goes; its bytes (`wire`) stay for retransmissions. */
  protected releaseRequest(): void {
    this.heldRequest = undefined;
  }

  /**
   * @internal The connection the request left by closed before a final response: a transport
   * failure (RFC 3261 17.1.4), reported now rather than as Timer B/F's timeout 32 s later. The
   * peer could in theory reopen a connection for its answer (18.2.2), but the one that dropped its
   * connection is a device gone away (the registrar drops its bindings with it).
   */
  connectionLost(): void {
    if (!this.awaitingFinal) return;
    const id = this.connection?.connectionId ?? '';
    this.onTransportError(new TransportError('connection-closed', `${id} closed before a final response`));
  }

  protected transmit(data: Buffer): void {
    // Later sends over a stream reuse the connection the request left by (RFC 3261 17.1.1.3 for the ACK).
    const target =
      this.connection?.connectionId !== undefined ? { ...this.target, connectionId: this.connection.connectionId } : this.target;
    let sending: Promise<SocketIdentity>;
    try {
      sending = this.env.transport.send(target, data);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      (identity) => {
        this.connection ??= identity;
      },
      (error: unknown) => this.onTransportError(error),
    );
  }

  protected terminate(): void {
    if (this.state === 'terminated') return;
    this.timers.stopAll();
    this.state = 'terminated';
    this.env.onTerminated(this.key, this);
    this.emit('terminated');
  }

  /**
   * RFC 3261 9.1: no final response came within 64*T1 of our CANCEL, so the request is considered
   * cancelled and its transaction destroyed. An INVITE in Proceeding has no timer of its own that
   * would ever end it (17.1.1.2): without this a callee that rang and fell silent kept it for ever.
   */
  abandon(): void {
    if (this.awaitingFinal) this.terminate();
  }

  /** Timer B / F (RFC 3261 17.1.1.2, 17.1.2.2). */
  protected timeout(): void {
    this.emit('timeout');
    this.terminate();
  }

  /** RFC 3261 17.1.4, 8.1.3.1. */
  private onTransportError(error: unknown): void {
    if (!this.transportErrorReported) {
      this.transportErrorReported = true;
      const err = error instanceof Error ? error : new Error(String(error));
      this.env.onTransportError(err, this);
      this.emit('transport-error', err);
    }
    this.terminate();
  }
}
