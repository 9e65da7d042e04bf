/**
 * The INVITE client transaction: RFC 3261 17.1.1 (Figure 5) as amended by RFC 6026 7.2 (Figure 4).
 *
 *   Calling --Timer A--> Calling          (retransmit; A doubles without limit; unreliable only)
 *   Calling --Timer B--> Terminated       (TU told: 'timeout')
 *   Calling/Proceeding --1xx--> Proceeding
 *   Calling/Proceeding --2xx--> Accepted  (Timer M; every further 2xx goes to the TU)
 *   Calling/Proceeding --3xx-6xx--> Completed (ACK sent, Timer D; retransmitted responses re-ACKed)
 */
import type { SipMessage } from '../sip/message.js';
import { ClientTransaction } from './client-transaction.js';
import { buildNon2xxAck } from './non-2xx-ack.js';
import type { TransactionEnvironment, TransactionState } from './transaction-environment.js';
import type { SendTarget } from '../transport/types.js';
import { timerD, transactionTimeout } from './timers.js';

export class InviteClientTransaction extends ClientTransaction {
  readonly kind = 'invite';
  state: TransactionState = 'calling';
  private aInterval = 0;
  private ack: Buffer | undefined;
  private readonly invite: SipMessage;

  constructor(env: TransactionEnvironment, key: string, request: SipMessage, target: SendTarget, wire?: Buffer) {
    super(env, key, request, target, wire);
    this.invite = request;
  }

  /** The INVITE; an INVITE transaction keeps it for its whole life (the ACK of a non-2xx and a CANCEL copy it). */
  override get request(): SipMessage {
    return this.invite;
  }

  start(): void {
    this.transmit(this.wire);
    if (!this.reliable) {
      this.aInterval = this.env.settings.t1;
      this.timers.start('A', this.aInterval, () => this.onTimerA());
    }
    this.timers.start('B', transactionTimeout(this.env.settings), () => this.timeout());
  }

  receiveResponse(response: SipMessage): void {
    const status = response.status;
    const open = this.state === 'calling' || this.state === 'proceeding';
    if (status < 200) {
      if (!open) return;
      // RFC 3261 17.1.1.2: no more retransmissions, and Timer B only guards the Calling state.
      this.timers.stop('A');
      this.timers.stop('B');
      this.state = 'proceeding';
      this.emit('provisional', response);
    } else if (status < 300) {
      if (open) this.enterAccepted();
      if (this.state === 'accepted') this.emit('final', response);
    } else if (open) {
      this.enterCompleted(response);
    } else if (this.state === 'completed' && this.ack !== undefined) {
      // A retransmitted final response: ACK again, do not bother the TU (RFC 3261 17.1.1.2).
      this.transmit(this.ack);
    }
  }

  private onTimerA(): void {
    this.transmit(this.wire);
    this.aInterval *= 2;
    this.timers.start('A', this.aInterval, () => this.onTimerA());
  }

  /** RFC 6026 7.2: stay for 64*T1 so 2xx retransmissions and other forks' 2xx reach the TU. */
  private enterAccepted(): void {
    this.timers.stop('A');
    this.timers.stop('B');
    this.state = 'accepted';
    this.timers.start('M', transactionTimeout(this.env.settings), () => this.terminate());
  }

  private enterCompleted(response: SipMessage): void {
    this.timers.stop('A');
    this.timers.stop('B');
    this.state = 'completed';
    this.ack = buildNon2xxAck(this.request, response).toBuffer();
    this.transmit(this.ack);
    this.emit('final', response);
    const delay = timerD(this.env.settings, this.reliable);
    if (delay === 0) this.terminate();
    else this.timers.start('D', delay, () => this.terminate());
  }
}
