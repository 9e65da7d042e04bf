// RFC 3261 16.7: the responses of every branch of one forwarded request, and which one goes upstream.
import type { SipMessage } from '../sip/message.js';

/** A branch's final result: a response from downstream (our Via removed) or one we made up (408, 503, 430, 513). */
export interface Answer {
  status: number;
  reason: string;
  /** The downstream response; absent for answers we generate. */
  response?: SipMessage;
  /** The bytes of `response` when they were cut from the received datagram (see relayedResponse). */
  wire?: Buffer;
  headers?: Array<[string, string]>;
}

/** Where the chosen responses go: a server transaction, or a request the server sent itself. */
export interface Upstream {
  /** A 1xx other than 100 (16.7 step 5: 100 is hop-by-hop); `wire`: its bytes, when already made. */
  provisional(response: SipMessage, wire?: Buffer): void;
  /** The final answer. For INVITE, every 2xx is passed (16.7 step 5); otherwise exactly once. */
  final(answer: Answer): void;
}

/** 16.7 step 6: 6xx first, else the lowest class; answers we made up yield to real responses of the same class. */
function rank(a: Answer): number {
  const cls = Math.floor(a.status / 100);
  return (cls === 6 ? 0 : cls) * 10_000 + (a.response === undefined ? 1000 : 0) + (a.status % 100);
}

export class ResponseContext {
  private open = 0;
  private best: Answer | undefined;
  private readonly challenges: Answer[] = [];
  private finalSent = false;
  private sealed = false;

  /** `cancelPending`: 16.7 step 10 (a 2xx to INVITE) and step 3 (a 6xx): CANCEL the other branches. */
  constructor(private readonly upstream: Upstream, private readonly invite: boolean, private readonly cancelPending: () => void) {}

  /** A branch starts. */
  add(): void {
    this.open++;
  }

  /** Every branch was added: with none at all, the best so far (or 480) goes at once. */
  seal(): void {
    this.sealed = true;
    this.finishIfDone();
  }

  get answered(): boolean {
    return this.finalSent;
  }

  provisional(response: SipMessage, wire?: Buffer): void {
    if (this.finalSent || response.status === 100) return;
    this.upstream.provisional(response, wire);
  }

  /** One branch's final result (a branch reports exactly one, except further 2xx to INVITE). */
  final(answer: Answer, branchDone: boolean): void {
    if (branchDone) this.open--;
    if (answer.status >= 200 && answer.status < 300) {
      // 16.7 step 5: 2xx go upstream at once; for INVITE every one of them (the caller ACKs each).
      const first = !this.finalSent;
      if (first || this.invite) {
        this.finalSent = true;
        this.upstream.final(answer);
      }
      if (first && this.invite) this.cancelPending();
      return;
    }
    if (this.finalSent) return;
    if (answer.status === 401 || answer.status === 407) this.challenges.push(answer);
    if (this.best === undefined || rank(answer) < rank(this.best)) this.best = answer;
    if (answer.status >= 600 && this.invite) this.cancelPending();
    this.finishIfDone();
  }

  private finishIfDone(): void {
    if (!this.sealed || this.open > 0 || this.finalSent) return;
    this.finalSent = true;
    const best = this.best ?? { status: 480, reason: 'Temporarily Unavailable' };
    this.upstream.final(this.withChallenges(best));
  }

  /** 16.7 step 7: a 401/407 carries the challenges of every 401/407 received. */
  private withChallenges(best: Answer): Answer {
    if ((best.status !== 401 && best.status !== 407) || best.response === undefined || this.challenges.length < 2) return best;
    const response = best.response;
    // The response changes: the received bytes no longer are its bytes.
    best.wire = undefined;
    for (const other of this.challenges) {
      if (other === best || other.response === undefined) continue;
      for (const [name, display] of [['www-authenticate', 'WWW-Authenticate'], ['proxy-authenticate', 'Proxy-Authenticate']]) {
        for (const v of other.response.rawValues(name)) response.addHeader(display, v);
      }
    }
    return best;
  }
}
