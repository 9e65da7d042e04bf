/**
 * The non-INVITE client transaction, RFC 3261 17.1.2 (Figure 6).
 *
 *   Trying --Timer E--> Trying           (retransmit; E doubles up to T2; unreliable transports only)
 *   Trying --1xx--> Proceeding           (TU told; E continues at T2)
 *   Trying/Proceeding --200-699--> Completed (TU told; Timer K absorbs response retransmissions)
 *   Trying/Proceeding --Timer F--> Terminated (TU told: 'timeout')
 *
 * Over UDP, Completed is kept by the layer as the key alone (Timer K only absorbs retransmitted
 * responses): `state` stays 'completed' and no 'terminated' follows.
 */
import type { SipMessage } from '../sip/message.js';
import { ClientTransaction } from './client-transaction.js';
import type { TransactionState } from './transaction-environment.js';
import { transactionTimeout } from './timers.js';

export class NonInviteClientTransaction extends ClientTransaction {
  readonly kind = 'non-invite';
  state: TransactionState = 'trying';
  private eInterval = 0;

  start(): void {
    this.transmit(this.wire);
    this.releaseRequest();
    if (!this.reliable) {
      this.eInterval = this.env.settings.t1;
      this.timers.start('E', this.eInterval, () => this.onTimerE());
    }
    this.timers.start('F', transactionTimeout(this.env.settings), () => this.timeout());
  }

  receiveResponse(response: SipMessage): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return; // Completed absorbs retransmissions
    if (response.status < 200) {
      this.state = 'proceeding';
      this.emit('provisional', response);
      return;
    }
    this.timers.stop('E');
    this.timers.stop('F');
    this.state = 'completed';
    this.emit('final', response);
    if (this.reliable) {
      this.terminate(); // Timer K is 0 over reliable transports
      return;
    }
    this.keepOnlyMatching();
    this.env.enterCompletedClient(this);
  }

  /** RFC 3261 17.1.2.2: in Trying E doubles up to T2; in Proceeding it is reset to T2. */
  private onTimerE(): void {
    this.transmit(this.wire);
    this.eInterval = this.state === 'trying' ? Math.min(2 * this.eInterval, this.env.settings.t2) : this.env.settings.t2;
    this.timers.start('E', this.eInterval, () => this.onTimerE());
  }
}
