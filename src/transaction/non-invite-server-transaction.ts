/**
 * The non-INVITE server transaction, RFC 3261 17.2.2 (Figure 8).
 *
 *   Trying --1xx--> Proceeding        (retransmitted requests absorbed silently while Trying)
 *   Proceeding --1xx--> Proceeding    (resends the last 1xx for a retransmitted request)
 *   Trying/Proceeding --200-699--> Completed (Timer J; resends the final response, discards further
 *                                     responses from the TU)
 *
 * Over UDP, Completed is kept by the layer (completed-responses.ts), not by this object: `state` stays
 * 'completed' and no 'terminated' follows, unless the final response fails to send (RFC 3261 17.2.4).
 */
import type { SipMessage } from '../sip/message.js';
import { ServerTransaction } from './server-transaction.js';
import type { TransactionState } from './transaction-environment.js';

export class NonInviteServerTransaction extends ServerTransaction {
  readonly kind = 'non-invite';
  state: TransactionState = 'trying';

  respond(response: SipMessage, wire?: Buffer): boolean {
    return this.send(response, wire, false);
  }

  private send(response: SipMessage, wire: Buffer | undefined, stateless: boolean): boolean {
    const status = this.checkResponse(response);
    if (this.state !== 'trying' && this.state !== 'proceeding') return false;
    const data = this.transmit(response, wire);
    if (status < 200) {
      this.state = 'proceeding';
      return true;
    }
    this.state = 'completed';
    if (this.reliable || stateless) {
      this.terminate(); // Timer J is 0 over reliable transports; a stateless answer has no Completed
      return true;
    }
    if (data !== undefined) {
      this.releaseMessages();
      this.env.enterCompleted(this, data);
    }
    return true;
  }

  /**
   * Sends a final response and ends the transaction at once, as a stateless element would: a later
   * request with the same branch is a new request, not a retransmission of this one. For challenges:
   * RFC 3261 26.3.2.4 says to send a 401/407 only once, "forgoing the normal response retransmission
   * algorithm, and thus behaving statelessly towards unauthenticated requests". libpurple resends a
   * challenged request with its credentials under the same branch and CSeq (a new transaction under
   * RFC 3261 8.1.3.5 and 22.2 would take a new branch); a Completed transaction would answer that with
   * the cached 401/407 until Timer J. (INVITE has no such method: its transaction must absorb the ACK
   * of a non-2xx answer, RFC 3261 17.2.1.)
   */
  respondStateless(response: SipMessage): boolean {
    if (this.checkResponse(response) < 200) throw new RangeError('respondStateless() takes a final response');
    return this.send(response, undefined, true);
  }

  receiveRetransmission(): void {
    // RFC 3261 17.2.2: nothing to resend while Trying; the last response in Proceeding (in
    // Completed the layer answers, or, over a stream, there is no transaction left).
    if (this.state === 'proceeding') this.resendLastResponse();
  }
}
