/**
 * The INVITE server transaction: RFC 3261 17.2.1 (Figure 7) as amended by RFC 6026 7.1 (Figure 5),
 * which adds the Accepted state so that 2xx retransmissions and their ACKs reach the TU.
 *
 *   Proceeding --1xx--> Proceeding      (resends the last 1xx for a retransmitted INVITE)
 *   Proceeding --2xx--> Accepted        (Timer L; absorbs INVITEs, passes ACKs and further 2xx)
 *   Proceeding --3xx-6xx--> Completed   (Timers G, H; resends the response for a retransmitted INVITE)
 *   Completed --ACK--> Confirmed        (Timer I; absorbs ACKs)
 *   Completed --Timer H--> Terminated   (TU told: 'timeout')
 */
import { createResponse } from '../sip/builder.js';
import type { SipMessage } from '../sip/message.js';
import type { SocketIdentity } from '../transport/types.js';
import { ServerTransaction } from './server-transaction.js';
import type { TransactionEnvironment, TransactionState } from './transaction-environment.js';
import { timerT4OrZero, transactionTimeout } from './timers.js';

/** RFC 3261 17.2.1: the TU gets 200 ms to answer before the transaction sends 100 (Trying) itself. */
const TRYING_DELAY = 200;

export class InviteServerTransaction extends ServerTransaction {
  readonly kind = 'invite';
  state: TransactionState = 'proceeding';
  /** Current Timer G interval (RFC 3261 17.2.1). */
  private gInterval = 0;

  private readonly invite: SipMessage;

  constructor(env: TransactionEnvironment, key: string, request: SipMessage, source: SocketIdentity) {
    super(env, key, request, source);
    this.invite = request;
    this.timers.start('trying', TRYING_DELAY, () => {
      if (this.state === 'proceeding' && this.lastResponse === undefined) this.transmit(createResponse(request, 100));
    });
  }

  /** The INVITE; an INVITE transaction keeps it for its whole life (a CANCEL answers it with 487). */
  override get request(): SipMessage {
    return this.invite;
  }

  respond(response: SipMessage, wire?: Buffer): boolean {
    const status = this.checkResponse(response);
    if (this.state === 'proceeding') {
      this.timers.stop('trying');
      this.transmit(response, wire);
      if (status >= 300) this.enterCompleted();
      else if (status >= 200) this.enterAccepted();
      return true;
    }
    // RFC 6026 7.1: 2xx retransmissions from the TU go out in the Accepted state.
    if (this.state === 'accepted' && status >= 200 && status < 300) {
      this.transmit(response, wire);
      return true;
    }
    return false;
  }

  receiveRetransmission(): void {
    // RFC 3261 17.2.1: resend the last response in Proceeding and Completed. RFC 6026 7.1: absorb
    // in Accepted (the TU retransmits its 2xx itself); Confirmed absorbs everything.
    if (this.state === 'proceeding' || this.state === 'completed') this.resendLastResponse();
  }

  /**
   * An ACK matched this transaction. Returns true when it belongs to the TU: in the Accepted state
   * it acknowledges a 2xx (RFC 6026 7.1). Otherwise it acknowledges our non-2xx final response and is
   * absorbed (RFC 3261 17.2.1).
   */
  receiveAck(): boolean {
    if (this.state === 'accepted') return true;
    if (this.state === 'completed') {
      this.timers.stop('G');
      this.timers.stop('H');
      this.state = 'confirmed';
      const delay = timerT4OrZero(this.env.settings, this.reliable);
      if (delay === 0) this.terminate();
      else this.timers.start('I', delay, () => this.terminate());
    }
    return false;
  }

  private enterCompleted(): void {
    this.state = 'completed';
    if (!this.reliable) {
      this.gInterval = this.env.settings.t1;
      this.timers.start('G', this.gInterval, () => this.onTimerG());
    }
    this.timers.start('H', transactionTimeout(this.env.settings), () => {
      this.emit('timeout');
      this.terminate();
    });
  }

  /** RFC 3261 17.2.1: Timer G doubles up to T2 while the final response is retransmitted. */
  private onTimerG(): void {
    this.resendLastResponse();
    this.gInterval = Math.min(2 * this.gInterval, this.env.settings.t2);
    this.timers.start('G', this.gInterval, () => this.onTimerG());
  }

  /** RFC 6026 7.1: Timer L keeps the transaction for retransmitted INVITEs and ACKs of the 2xx. */
  private enterAccepted(): void {
    this.state = 'accepted';
    this.timers.start('L', transactionTimeout(this.env.settings), () => this.terminate());
  }
}
