// One branch of a fork (RFC 3261 16.6 step 10, 16.8): a client transaction toward one target, with
// RFC 3263 4.3 failover across the resolved addresses, Timer C for INVITE, CANCEL (16.10), and the
// answers the proxy makes up itself: 408 (no answer), 503 (transport error, 8.1.3.1), 430 (RFC 5626
// flow gone), 513 (the socket refused the request as too large), 502 (a final response with no Via
// left for upstream, 16.7 step 3).
import type { SipMessage } from '../sip/message.js';
import type { SipUri } from '../sip/uri.js';
import type { BindingRecord } from '../store/types.js';
import type { ClientTransaction } from '../transaction/client-transaction.js';
import type { TimerHandle, TimerHeap } from '../transaction/timer-heap.js';
import { transactionTimeout } from '../transaction/timers.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import { TransportError } from '../transport/errors.js';
import type { SendTarget } from '../transport/types.js';
import type { DnsResolver } from './dns-resolver.js';
import type { HopAddress, OwnAddresses } from './own-address.js';
import type { Answer, ResponseContext } from './response-context.js';
import { relayedResponse } from './response-via.js';

/** RFC 3261 18.1.1: above this size, and with no known path MTU, a request goes over a congestion-controlled transport. */
export const UDP_SIZE_LIMIT = 1300;

export interface BranchEnv {
  transactions: TransactionLayer;
  own: OwnAddresses;
  resolver: DnsResolver;
  timers: TimerHeap;
  /** RFC 3261 16.8: above 3 minutes. */
  timerCMs: number;
  /** A binding that timed out or refused: the registrar's dead-contact probe should look at it soon. */
  suspect(binding: BindingRecord): void;
  /** The realms (our domains) whose Proxy-Authorization values we consume instead of forwarding. */
  ownsRealm(realm: string): boolean;
  /** The token our Record-Route carries for the dialog of this Call-ID (dialog-route-token.ts). */
  dialogToken(callId: string): string;
  /** The mark our branch carries for this request: '' unless its sender proved who it is (spiral-proof.ts). */
  spiralMark(request: SipMessage): string;
}

export type Destination = { kind: 'direct'; target: SendTarget } | { kind: 'resolve'; uri: SipUri } | { kind: 'flow-failed' };

/** Builds the request this branch sends, for our address toward the chosen target. */
export type CopyBuilder = (hop: HopAddress) => SipMessage;

export class Branch {
  private tx: ClientTransaction | undefined;
  private targets: SendTarget[] = [];
  private provisionalSeen = false;
  private cancelled = false;
  private cancelSent = false;
  private done = false;
  private timerC: TimerHandle | undefined;
  /** RFC 3261 9.1: 64*T1 after our CANCEL without a final answer, the INVITE is over. */
  private cancelWait: TimerHandle | undefined;
  /** This try goes over TCP only because the request is too large for UDP. */
  private upgraded = false;
  /** A UDP target whose size upgrade to TCP was refused: it is tried again as it is (RFC 3261 18.1.1). */
  private tcpRefused: SendTarget | undefined;

  constructor(
    private readonly env: BranchEnv,
    private readonly ctx: ResponseContext,
    private readonly invite: boolean,
    private readonly build: CopyBuilder,
    private readonly destination: Destination,
    private readonly binding?: BindingRecord,
    /**
     * The request came with Vias of its own (a caller's), so each response goes on upstream; false
     * for one the server sent itself (offline delivery), whose responses end here (RFC 3261 8.1.3).
     */
    private readonly relaying = true,
  ) {
    ctx.add();
  }

  start(): void {
    const d = this.destination;
    if (d.kind === 'flow-failed') {
      this.finish({ status: 430, reason: 'Flow Failed' });
      return;
    }
    if (d.kind === 'direct') {
      this.targets = [d.target];
      this.next();
      return;
    }
    this.env.resolver.resolve(d.uri).then((targets) => {
      this.targets = targets;
      // RFC 3263 4: a name with no SIP server and no address: nobody to forward to (the domain does not exist for SIP).
      if (targets.length === 0) this.finish({ status: 404, reason: `Not Found (no address for ${d.uri.host})` });
      else this.next();
    }, () => this.finish({ status: 503, reason: `Service Unavailable (cannot resolve ${d.uri.host})` }));
  }

  /** The server stops: no timer of this branch may fire (or hold the process) after it. */
  stop(): void {
    this.done = true;
    this.timerC?.cancel();
    this.cancelWait?.cancel();
  }

  /** RFC 3261 16.10 / 9.1: CANCEL once a provisional response came (until then, when it comes). */
  cancel(): void {
    if (this.done || this.cancelled) return;
    this.cancelled = true;
    if (!this.invite) return;
    if (this.provisionalSeen) this.sendCancel();
  }

  private next(): void {
    if (this.done) return; // finished, or the server stopped while a DNS answer or a route was awaited
    if (this.cancelled) {
      // RFC 3261 16.10: no new branch once the request is cancelled. An INVITE still waiting for its
      // DNS answer never leaves: it ends as its CANCEL would have ended it, instead of ringing first.
      if (this.invite) this.finish({ status: 487, reason: 'Request Terminated' });
      return;
    }
    const target = this.targets.shift();
    if (target === undefined) return;
    // Our Via and Record-Route name the address this target reaches us at (RFC 3261 18.2.1, RFC 5658):
    // on a wildcard socket, a peer never seen before waits for the route to it to be learned.
    const learning = this.env.own.pending(target.protocol, target.address);
    if (learning !== undefined) {
      this.targets.unshift(target);
      void learning.then(() => this.next());
      return;
    }
    let request = this.build(this.env.own.toward(target.protocol, target.address));
    let sendTo = target;
    this.upgraded = false;
    // The bytes measured for the size check are the bytes the transaction sends.
    let wire = target.protocol === 'udp' && target !== this.tcpRefused ? request.toBuffer() : undefined;
    if (wire !== undefined && wire.length > UDP_SIZE_LIMIT) {
      // RFC 3261 18.1.1: too large for UDP: TCP to the same address and port.
      sendTo = { protocol: 'tcp', address: target.address, port: target.port };
      request = this.build(this.env.own.toward('tcp', target.address));
      wire = undefined;
      this.upgraded = true;
    } else if (target.protocol === 'udp' && target.listener === undefined) {
      const listener = this.env.own.toward('udp', target.address).listener;
      if (listener !== undefined) sendTo = { ...target, listener };
    }
    let tx: ClientTransaction;
    try {
      tx = this.env.transactions.sendRequest(request, sendTo, wire);
    } catch (err) {
      this.failed(503, `Service Unavailable (${String(err)})`);
      return;
    }
    this.tx = tx;
    if (this.invite) this.armTimerC();
    tx.on('provisional', (res) => this.onProvisional(res));
    tx.on('final', (res) => this.onFinal(res));
    tx.once('timeout', () => this.failed(408, 'Request Timeout'));
    tx.once('transport-error', (err) => this.onTransportError(err, target));
  }

  private onTransportError(err: Error, target: SendTarget): void {
    const code = err instanceof TransportError ? err.code : undefined;
    // RFC 3261 18.1.1: a request sent over TCP only because of its size, whose connection attempt is
    // refused or reset, SHOULD be retried over UDP (the peer may well take the datagram: 1300 bytes
    // is a guess at the path MTU, not a limit of UDP). Any other failure is the target's (503).
    if (this.upgraded && !this.cancelled && (code === 'connection-refused' || code === 'connection-closed')) {
      this.tcpRefused = target;
      this.targets.unshift(target);
      this.next();
      return;
    }
    // The socket itself refused the datagram as too large (EMSGSIZE): RFC 3261 21.5.11. Another
    // address of the target would refuse it alike, so no failover.
    if (code === 'message-too-large') {
      this.finish({ status: 513, reason: 'Message Too Large (over the UDP datagram limit and the contact takes no TCP)' });
      return;
    }
    this.failed(503, 'Service Unavailable (next hop unreachable)');
  }

  /** A target gave nothing: the next resolved address (RFC 3263 4.3), else this answer. */
  private failed(status: number, reason: string): void {
    if (this.done) return;
    this.timerC?.cancel();
    if (this.targets.length > 0 && !this.cancelled) {
      this.next();
      return;
    }
    if (this.binding !== undefined) this.env.suspect(this.binding);
    this.finish({ status, reason });
  }

  private onProvisional(res: SipMessage): void {
    // RFC 3261 9.1: a branch we gave up before it rang (16.10, or Timer C's 408) is CANCELled as soon
    // as it does, else the callee would ring on with nobody to answer; this holds after its 408 too.
    if (this.cancelled) {
      this.provisionalSeen = true;
      this.sendCancel();
      return;
    }
    if (this.done) return;
    // Our client transaction is in Proceeding either way, so a CANCEL may go (9.1).
    this.provisionalSeen = true;
    const up = relayedResponse(res);
    // RFC 3261 16.7 step 3: with only our Via, the response is not forwarded (nor does it restart Timer C).
    if (up.forUs && this.relaying) return;
    if (this.invite) this.armTimerC();
    this.ctx.provisional(up.response, up.wire);
  }

  private onFinal(res: SipMessage): void {
    const up = relayedResponse(res);
    if (up.forUs && this.relaying) {
      // RFC 3261 16.7 step 3: a final response with only our Via is not forwarded. The client
      // transaction has its final answer (and ACKed a non-2xx, 17.1.1.3), but the caller has none:
      // the branch ends as a 502 of our own (21.5.3: an invalid response from downstream), which any
      // real answer of another branch beats and which goes to the caller with the caller's Via.
      if (!this.done) this.finish({ status: 502, reason: `Bad Gateway (the ${res.status} from downstream carried no Via but ours)` });
      return;
    }
    const answer: Answer = { status: res.status, reason: res.reason, response: up.response, wire: up.wire };
    if (this.done) {
      // RFC 6026: a further 2xx (another fork downstream, or a retransmission) still goes up.
      if (this.invite && res.status >= 200 && res.status < 300) this.ctx.final(answer, false);
      return;
    }
    this.finish(answer);
  }

  private finish(answer: Answer): void {
    if (this.done) return;
    this.done = true;
    this.timerC?.cancel();
    this.cancelWait?.cancel();
    this.ctx.final(answer, true);
  }

  /**
   * RFC 3261 16.8: Timer C restarts on every provisional. When it fires on a branch that had one, the
   * proxy MUST CANCEL it (its 487 then ends the branch); on a branch without one it MUST behave as if
   * a 408 had come, since a CANCEL may not go before a provisional (9.1): the branch is answered 408
   * and marked cancelled, so that a provisional coming later is CANCELled then.
   */
  private armTimerC(): void {
    this.timerC?.cancel();
    this.timerC = this.env.timers.schedule(this.env.timerCMs, () => {
      if (this.done) return;
      this.cancelled = true;
      if (this.provisionalSeen) this.sendCancel();
      else this.finish({ status: 408, reason: 'Request Timeout' });
    });
  }

  /** RFC 3261 9.1: the CANCEL copies Request-URI, Call-ID, From, To, CSeq number, Route and the top Via of the request. */
  private sendCancel(): void {
    const tx = this.tx;
    if (tx === undefined || this.cancelSent) return;
    this.cancelSent = true;
    // RFC 3261 9.1: without a final answer to the INVITE 64*T1 after the CANCEL, the request is
    // considered cancelled: the branch ends as a 408 instead of holding the fork open for ever, and
    // its transaction is destroyed (a branch already answered, by Timer C, still has one to end).
    this.cancelWait = this.env.timers.schedule(transactionTimeout(this.env.transactions.settings), () => {
      this.finish({ status: 408, reason: 'Request Timeout (no final answer after our CANCEL)' });
      tx.abandon();
    });
    const req = tx.request;
    if (req === undefined) return; // a non-INVITE transaction that completed: nothing left to cancel
    const cancel = req.clone();
    for (const f of req.headerFields()) {
      if (!['via', 'from', 'to', 'call-id', 'route', 'max-forwards'].includes(f.name)) cancel.removeHeader(f.name);
    }
    cancel.method = 'CANCEL';
    cancel.setHeader('CSeq', `${req.cseq().seq} CANCEL`);
    cancel.body = Buffer.alloc(0);
    const topVia = req.rawValues('via')[0];
    cancel.removeHeader('via');
    cancel.addHeader('Via', topVia, 'first');
    const target = tx.connection?.connectionId !== undefined ? { ...tx.target, connectionId: tx.connection.connectionId } : tx.target;
    try {
      this.env.transactions.sendRequest(cancel, target);
    } catch {
      // The INVITE transaction is gone already: nothing left to cancel.
    }
  }
}
