/**
 * The non-INVITE server transaction, RFC 3261 17.2.2 (Figure 8).
 *
 *   Trying --1xx--> Proceeding        (retransmitted requests absorbed silently while Trying)
 *   Proceeding --1xx--> Proceeding    (resends the last 1xx for a retransmitted request)
 *   Trying/Proceeding --200-699--> Completed (Timer J; resends the final response, discards further
 *                                     responses from the TU)
 */
import type { SipMessage } from '../sip/message.js';
import { ServerTransaction } from './server-transaction.js';
import type { TransactionState } from './transaction-environment.js';
import { timerJ } from './timers.js';

export class NonInviteServerTransaction extends ServerTransaction {
  readonly kind = 'non-invite';
  state: TransactionState = 'trying';

  respond(response: SipMessage): boolean {
    const status = this.checkResponse(response);
    if (this.state !== 'trying' && this.state !== 'proceeding') return false;
    this.transmit(response);
    if (status < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.state = 'completed';
    const delay = timerJ(this.env.settings, this.reliable);
    if (delay === 0) this.terminate();
    else this.timers.start('J', delay, () => this.terminate());
    return true;
  }

  receiveRetransmission(): void {
    // RFC 3261 17.2.2: nothing to resend while Trying; the last response in Proceeding/Completed.
    if (this.state === 'proceeding' || this.state === 'completed') this.resendLastResponse();
  }
}
