/**
 * The transaction layer (RFC 3261 17), between the transport and the transaction user (TU: the
 * server's core, a proxy, a user agent).
 *
 * Setup
 *   const layer = new TransactionLayer({ transport, t1?, t2?, t4?, timers? });
 *   transport.on('message', (msg, source) => layer.receive(msg, source));
 *   `transport` needs `send(target, data): Promise<SocketIdentity>` and
 *   `sendResponse(response, requestSource): Promise<void>` (the TransportManager has both).
 *   `timers` defaults to the process-wide `sharedTimerHeap()`; T1/T2/T4 default to 500/4000/5000 ms.
 *
 * Incoming requests (server transactions, RFC 3261 17.2)
 *   'request' (tx, request, source): a new request; answer with `tx.respond(response)`.
 *     Retransmissions never reach the TU: they are absorbed and the last response is resent (UDP).
 *     An INVITE gets 100 (Trying) from the transaction if the TU has not answered within 200 ms.
 *   'cancel' (cancelTx, inviteTx | undefined, cancel): a CANCEL (RFC 3261 9.2). It is its own non-INVITE
 *     transaction; the TU answers it (200, or 481 when `inviteTx` is undefined) and, when inviteTx is
 *     still without a final response, answers the INVITE with 487.
 *   'ack' (ack, source, inviteTx | undefined): an ACK that belongs to the TU: one matching no
 *     transaction (the ACK of a 2xx is a transaction of its own, RFC 3261 17.1.1.3), or one matching
 *     an INVITE transaction in RFC 6026's Accepted state. ACKs of non-2xx responses are absorbed.
 *   Server transaction events: 'transport-error' (error), 'timeout' (INVITE: no ACK, Timer H), 'terminated'.
 *     A non-INVITE transaction over UDP hands its Completed state (Timer J) to the layer with its final
 *     response: the object stays 'completed' and emits no 'terminated' (completed-responses.ts).
 *
 * Outgoing requests (client transactions, RFC 3261 17.1)
 *   `sendRequest(request, target)` returns a ClientTransaction. The TU builds the whole request,
 *   top Via with an RFC 3261 branch included; the transaction adds nothing. Events: 'provisional'
 *   (1xx), 'final' (every 2xx for INVITE, one 3xx-6xx; the non-2xx ACK is sent by the transaction),
 *   'timeout' (Timer B/F: the TU acts as on a 408), 'transport-error' (the TU acts as on a 503,
 *   RFC 3261 8.1.3.1), 'terminated'. The ACK of a 2xx is the TU's own: it sends it with the transport.
 *   A non-INVITE one over UDP leaves Completed (Timer K) to the layer, as its key alone: after 'final'
 *   it emits nothing more.
 *
 * Everything else
 *   'stray-response' (response, source): a response no client transaction matches (a stateless
 *     proxy forwards it, RFC 3261 16.7 / 18.1.2; a UA drops it).
 *   'malformed' (message, source, error): a message whose Via, CSeq, From, To or Call-ID cannot be
 *     parsed, so it matches no transaction; it is dropped.
 *   'transport-error' (error, tx): every transaction's transport error, for logging (tx undefined: a
 *     response resent from Completed).
 *   `sendStateless(response, source)`: a response outside any transaction (RFC 3261 8.2.6/16.7).
 *   `counts()`, `close()`.
 *
 * Terminated transactions leave the tables at once, so memory is bounded by the transactions alive.
 */
import { EventEmitter } from 'node:events';
import { SipParseError } from '../sip/errors.js';
import { SipMessage } from '../sip/message.js';
import { parseMessage } from '../sip/parser.js';
import type { SendTarget, SocketIdentity } from '../transport/types.js';
import type { ClientTransaction } from './client-transaction.js';
import { InviteClientTransaction } from './invite-client-transaction.js';
import { InviteServerTransaction } from './invite-server-transaction.js';
import { NonInviteClientTransaction } from './non-invite-client-transaction.js';
import { NonInviteServerTransaction } from './non-invite-server-transaction.js';
import type { ServerTransaction } from './server-transaction.js';
import { sharedTimerHeap, type TimerHeap } from './timer-heap.js';
import { CompletedResponses } from './completed-responses.js';
import { LingerQueue } from './linger-queue.js';
import { timerJ, timerSettings, timerT4OrZero, type TimerSettings } from './timers.js';
import type { TransactionEnvironment, TransactionTransport } from './transaction-environment.js';
import { clientTransactionKey, isRfc3261Branch, serverTransactionKey, topVia } from './transaction-key.js';

export interface TransactionLayerOptions extends Partial<TimerSettings> {
  transport: TransactionTransport;
  timers?: TimerHeap;
}

export interface TransactionLayerEvents {
  request: [tx: ServerTransaction, request: SipMessage, source: SocketIdentity];
  cancel: [cancelTx: NonInviteServerTransaction, inviteTx: InviteServerTransaction | undefined, cancel: SipMessage];
  ack: [ack: SipMessage, source: SocketIdentity, inviteTx: InviteServerTransaction | undefined];
  'stray-response': [response: SipMessage, source: SocketIdentity];
  malformed: [message: SipMessage, source: SocketIdentity, error: SipParseError];
  /** `tx` undefined: a final response resent from Completed, which the layer holds without an object. */
  'transport-error': [error: Error, tx: ServerTransaction | ClientTransaction | undefined];
}

export class TransactionLayer extends EventEmitter<TransactionLayerEvents> {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly env: TransactionEnvironment;
  /** Non-INVITE server transactions over UDP in Completed, until Timer J: their keys and final responses. */
  private readonly completed: CompletedResponses;
  /** Keys of non-INVITE client transactions over UDP in Completed, until Timer K (RFC 3261 17.1.2.2). */
  private readonly absorbing = new Set<string>();
  private readonly completedClients: LingerQueue<string>;

  constructor(options: TransactionLayerOptions) {
    super();
    const timers = options.timers ?? sharedTimerHeap();
    const settings = timerSettings(options);
    this.completed = new CompletedResponses(timers, timerJ(settings, false), (data, source, key) => this.resendCompleted(data, source, key));
    this.completedClients = new LingerQueue(timers, timerT4OrZero(settings, false), (key) => this.absorbing.delete(key));
    this.env = {
      transport: options.transport,
      timers,
      settings,
      enterCompleted: (tx, data) => {
        if (this.servers.get(tx.key) === tx) this.servers.delete(tx.key);
        this.completed.add(tx.key, data, tx.source);
      },
      enterCompletedClient: (tx) => {
        if (this.clients.get(tx.key) === tx) this.clients.delete(tx.key);
        this.absorbing.add(tx.key);
        this.completedClients.add(tx.key);
      },
      onTerminated: (key, tx) => {
        if (this.servers.get(key) === tx) this.servers.delete(key);
        else if (tx instanceof NonInviteServerTransaction) this.completed.delete(key); // 17.2.4 after Completed began
        else if (this.clients.get(key) === tx) this.clients.delete(key);
      },
      onTransportError: (error, tx) => this.emit('transport-error', error, tx),
    };
  }

  get settings(): TimerSettings {
    return this.env.settings;
  }

  /** Entry point for every message the transport parsed (its 'message' event). */
  receive(message: SipMessage, source: SocketIdentity): void {
    if (message.kind === 'response') this.receiveResponse(message, source);
    else this.receiveRequest(message, source);
  }

  /**
   * Starts a client transaction (RFC 3261 17.1). The request's top Via must carry an RFC 3261 branch
   * that no live client transaction uses; ACK is refused (it is never a client transaction). `wire`
   * is `request.toBuffer()` when the caller already made it.
   */
  sendRequest(request: SipMessage, target: SendTarget, wire?: Buffer): ClientTransaction {
    if (request.kind !== 'request') throw new TypeError('sendRequest() takes a request');
    if (request.method === 'ACK') throw new TypeError('an ACK is not a transaction: send it with the transport (RFC 3261 17.1.1.3)');
    const branch = request.topVia()?.branch;
    if (!isRfc3261Branch(branch)) {
      throw new TypeError('the top Via needs a branch starting with z9hG4bK (RFC 3261 8.1.1.7)');
    }
    const key = clientTransactionKey(request);
    if (this.clients.has(key) || this.absorbing.has(key)) throw new Error(`a client transaction with branch ${branch} is already running`);
    const tx = request.method === 'INVITE'
      ? new InviteClientTransaction(this.env, key, request, target, wire)
      : new NonInviteClientTransaction(this.env, key, request, target, wire);
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /**
   * The transport closed connection `connectionId`: client transactions whose request left by it
   * and still wait for a final response fail with a transport error (RFC 3261 17.1.4; the TU answers
   * 503, 8.1.3.1). The composition root forwards the transport's 'connection-closed' here.
   */
  connectionClosed(connectionId: string): void {
    for (const tx of this.clients.values()) {
      if (tx.connection?.connectionId === connectionId) tx.connectionLost();
    }
  }

  /** Sends a response that belongs to no transaction (stateless proxying, RFC 3261 16.7 / 18.2.2). */
  sendStateless(response: SipMessage, source: SocketIdentity): Promise<void> {
    return this.env.transport.sendResponse(response, source);
  }

  /** Live transactions: server ones include those in Completed (held as bytes). */
  counts(): { server: number; client: number } {
    return { server: this.servers.size + this.completed.size, client: this.clients.size + this.absorbing.size };
  }

  /** Stops every transaction silently (no events) and empties the tables. */
  close(): void {
    for (const tx of this.servers.values()) tx.dispose();
    for (const tx of this.clients.values()) tx.dispose();
    this.completed.clear();
    this.completedClients.clear();
    this.absorbing.clear();
    this.servers.clear();
    this.clients.clear();
  }

  private receiveResponse(response: SipMessage, source: SocketIdentity): void {
    const key = this.keyOrReport(response, source, () => clientTransactionKey(response));
    if (key === undefined) return;
    const tx = this.clients.get(key);
    if (tx !== undefined) tx.receiveResponse(response);
    else if (!this.absorbing.has(key)) this.emit('stray-response', response, source);
  }

  private receiveRequest(request: SipMessage, source: SocketIdentity): void {
    const key = this.keyOrReport(request, source, () => serverTransactionKey(request));
    if (key === undefined) return;
    if (request.method === 'ACK') return this.receiveAck(request, source, key);
    const existing = this.servers.get(key);
    if (existing !== undefined) return existing.receiveRetransmission();
    if (this.completed.retransmit(key)) return;
    if (request.method === 'INVITE') {
      const tx = new InviteServerTransaction(this.env, key, request, source);
      this.addServer(tx);
      this.emit('request', tx, request, source);
      return;
    }
    const tx = new NonInviteServerTransaction(this.env, key, request, source);
    this.addServer(tx);
    if (request.method !== 'CANCEL') {
      this.emit('request', tx, request, source);
      return;
    }
    // RFC 3261 9.2: the INVITE a CANCEL cancels matches it under 17.2.3 with the method INVITE.
    const invite = this.servers.get(serverTransactionKey(request, { method: 'INVITE' }));
    this.emit('cancel', tx, invite instanceof InviteServerTransaction ? invite : undefined, request);
  }

  private addServer(tx: ServerTransaction): void {
    this.servers.set(tx.key, tx);
  }

  private receiveAck(ack: SipMessage, source: SocketIdentity, key: string): void {
    let invite = this.servers.get(key);
    if (invite === undefined && !isRfc3261Branch(topVia(ack).branch)) {
      // RFC 3261 17.2.3 (RFC 2543 rules): the ACK carries the To tag of our response, while an
      // initial INVITE, filed under its own To tag, had none.
      const candidate = this.servers.get(serverTransactionKey(ack, { toTag: '' }));
      if (candidate?.lastResponse !== undefined && candidate.lastResponse.to().tag === ack.to().tag) invite = candidate;
    }
    if (invite instanceof InviteServerTransaction) {
      if (invite.receiveAck()) this.emit('ack', ack, source, invite);
      return;
    }
    this.emit('ack', ack, source, undefined);
  }

  /**
   * A retransmitted request in Completed: its final response again (RFC 3261 17.2.2); a failed send
   * ends Completed (17.2.4) and is reported without a transaction object.
   */
  private resendCompleted(data: Buffer, source: SocketIdentity, key: string): void {
    // Our own bytes, parsed back for the transport's routing by the top Via (RFC 3261 18.2.2).
    const response = parseMessage(data);
    if (!(response instanceof SipMessage)) return;
    let sending: Promise<void>;
    try {
      sending = this.env.transport.sendResponse(response, source, data);
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.catch((error: unknown) => {
      this.completed.delete(key);
      this.emit('transport-error', error instanceof Error ? error : new Error(String(error)), undefined);
    });
  }

  private keyOrReport(message: SipMessage, source: SocketIdentity, key: () => string): string | undefined {
    try {
      return key();
    } catch (error) {
      if (!(error instanceof SipParseError)) throw error;
      this.emit('malformed', message, source, error);
      return undefined;
    }
  }
}
