// The upstream of a request that came from the network: its server transaction.
import type { SipMessage } from '../sip/message.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import type { Answer, Upstream } from './response-context.js';

/** Answers the transaction itself (adds Server, counts the response). */
export type Reply = (status: number, reason: string, headers?: Array<[string, string]>) => void;

export class TransactionUpstream implements Upstream {
  constructor(private readonly tx: ServerTransaction, private readonly reply: Reply) {}

  provisional(response: SipMessage, wire?: Buffer): void {
    this.tx.respond(response, wire);
  }

  final(answer: Answer): void {
    // RFC 3261 16.7 step 6: a 503 from downstream says that hop is overloaded, not us: upstream it
    // becomes 500. A 503 we made up for an unreachable branch (8.1.3.1) goes as it is, with its reason.
    if (answer.status === 503 && answer.response !== undefined) {
      this.reply(500, 'Server Internal Error (next hop unavailable)');
      return;
    }
    if (answer.response !== undefined) this.tx.respond(answer.response, answer.wire);
    else this.reply(answer.status, answer.reason, answer.headers);
  }
}
