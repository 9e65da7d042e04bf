/**
 * What every server transaction (RFC 3261 17.2) offers its transaction user, and the plumbing the
 * INVITE and non-INVITE state machines share: sending responses and reporting transport errors.
 */
import { EventEmitter } from 'node:events';
import type { SipMessage } from '../sip/message.js';
import type { SocketIdentity } from '../transport/types.js';
import {
  isReliable,
  TransactionTimers,
  type TransactionEnvironment,
  type TransactionState,
} from './transaction-environment.js';

export interface ServerTransactionEvents {
  /**
   * A response could not be sent (RFC 3261 17.2.4 after the transport's own 18.2.2 fallbacks):
   * the transaction is terminated. Reported once per transaction, even when it already ended.
   */
  'transport-error': [error: Error];
  /** INVITE only: Timer H fired, the ACK for a 3xx-6xx response never came (RFC 3261 17.2.1). */
  timeout: [];
  terminated: [];
}

export abstract class ServerTransaction extends EventEmitter<ServerTransactionEvents> {
  abstract readonly kind: 'invite' | 'non-invite';
  abstract state: TransactionState;
  /**
   * The most recent response passed to the transport (resent for retransmitted requests); undefined
   * once the layer holds its bytes (see `releaseMessages`).
   */
  lastResponse: SipMessage | undefined;
  protected readonly reliable: boolean;
  protected readonly timers: TransactionTimers<string>;
  /** The bytes `lastResponse` was sent as when the TU made them (a relayed response): resent alike. */
  private lastWire: Buffer | undefined;
  private transportErrorReported = false;
  private heldRequest: SipMessage | undefined;

  constructor(
    protected readonly env: TransactionEnvironment,
    /** The layer's key for this transaction (RFC 3261 17.2.3). */
    readonly key: string,
    request: SipMessage,
    /** Where it came from; responses go back along this path. */
    readonly source: SocketIdentity,
  ) {
    super();
    this.heldRequest = request;
    this.reliable = isReliable(source.protocol);
    this.timers = new TransactionTimers(env.timers);
  }

  /**
   * The request that created the transaction. A non-INVITE transaction over UDP lets go of it when it
   * enters Completed (undefined from then on): the layer keeps only the final response's bytes for
   * Timer J (completed-responses.ts), and a TU that still holds the object keeps no message alive.
   */
  get request(): SipMessage | undefined {
    return this.heldRequest;
  }

  /**
   * Sends a response from the TU. Returns false, sending nothing, when the state machine discards
   * it: after a final response (RFC 3261 17.2.1, 17.2.2), except further 2xx to an INVITE in the
   * Accepted state (RFC 6026 7.1), and after termination. `wire`, when given, is the response's
   * bytes already made (a proxy relaying a response, RFC 3261 16.7): sent instead of serializing it.
   */
  abstract respond(response: SipMessage, wire?: Buffer): boolean;

  /** @internal A retransmission of the creating request reached us (ACKs go to `receiveAck`). */
  abstract receiveRetransmission(): void;

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  /** @internal Drops timers without events (the layer is closing). */
  dispose(): void {
    this.timers.stopAll();
    this.state = 'terminated';
  }

  protected checkResponse(response: SipMessage): number {
    if (response.kind !== 'response') throw new TypeError('respond() takes a response');
    const status = response.status;
    if (!Number.isInteger(status) || status < 100 || status > 699) throw new RangeError(`invalid status ${status}`);
    return status;
  }

  /** Sends a response (`wire`: its bytes, when made already); returns its bytes (undefined when it could not be serialized). */
  protected transmit(response: SipMessage, wire?: Buffer): Buffer | undefined {
    this.lastResponse = response;
    this.lastWire = wire;
    let data: Buffer | undefined;
    let sending: Promise<void>;
    try {
      data = wire ?? response.toBuffer();
      sending = this.env.transport.sendResponse(response, this.source, data);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.catch((error: unknown) => this.onTransportError(error));
    return data;
  }

  /**
   * The layer holds the final response's bytes from now on (non-INVITE over UDP, Completed): the
   * request and response objects are released (see `request`).
   */
  protected releaseMessages(): void {
    this.heldRequest = undefined;
    this.lastResponse = undefined;
    this.lastWire = undefined;
  }

  /** Resends the most recent response over unreliable transports (RFC 3261 17.2.1, 17.2.2). */
  protected resendLastResponse(): void {
    if (this.reliable || this.lastResponse === undefined) return;
    this.transmit(this.lastResponse, this.lastWire);
  }

  protected terminate(): void {
    if (this.state === 'terminated') return;
    this.timers.stopAll();
    this.state = 'terminated';
    this.env.onTerminated(this.key, this);
    this.emit('terminated');
  }

  /** RFC 3261 17.2.4: a failed send ends the transaction; the TU is told. */
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
