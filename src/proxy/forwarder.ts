// The stateful forwarding engine (RFC 3261 16.6-16.10): one response context per request, one
// branch per target, CANCEL of pending branches, and stateless forwarding of ACKs for 2xx.
import type { SipMessage } from '../sip/message.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import type { SocketIdentity } from '../transport/types.js';
import { Branch, type BranchEnv } from './branch.js';
import { branchFor, forwardCopy, loopHash } from './forward-request.js';
import { nextHopByRoute } from './loose-route.js';
import type { HopAddress } from './own-address.js';
import { viaValue } from './own-address.js';
import { createsDialog, recordRouteValues } from './record-route.js';
import { ResponseContext, type Upstream } from './response-context.js';
import type { BranchTarget } from './target-set.js';

/** The branch's own Request-URI or first Route is SIPS (16.6 step 4, "after the post processing of bullet 6"). */
function isSipsTarget(target: BranchTarget): boolean {
  if (target.requestUri?.startsWith('sips:') === true) return true;
  if (target.destination.kind === 'resolve' && target.destination.uri.scheme === 'sips') return true;
  return /^\s*(?:"[^"]*"\s*)?<?sips:/i.test(target.routes[0] ?? '');
}

export class Forwarder {
  /** Response contexts of INVITEs still without a final answer, for CANCEL (16.10). */
  private readonly invites = new Map<ServerTransaction, Branch[]>();

  constructor(private readonly env: BranchEnv) {}

  /**
   * Forks `request` to every target at once (parallel forking, 16.6 step 10 / 16.7), reporting to
   * `upstream`. `source` is where the request came from (for Record-Route of our inbound side);
   * `serverTx` lets a later CANCEL find the branches.
   */
  fork(upstream: Upstream, request: SipMessage, source: SocketIdentity | undefined, targets: readonly BranchTarget[], serverTx?: ServerTransaction): void {
    const invite = request.method === 'INVITE';
    const branches: Branch[] = [];
    const ctx = new ResponseContext(upstream, invite, () => {
      for (const b of branches) b.cancel();
    });
    const hash = loopHash(request);
    const mark = this.env.spiralMark(request);
    const recordRoute = source !== undefined && createsDialog(request.method, request.to().tag !== undefined);
    const token = recordRoute ? this.env.dialogToken(request.callId()) : undefined;
    const inbound = source === undefined ? undefined : this.inboundHop(source);
    // A request from the network has its sender's Via (RFC 3261 8.1.1.7); one the server made itself has none.
    const relaying = request.hasHeader('via');
    // 16.6 step 4: a SIPS Request-URI (as received or as retargeted) or top Route makes a SIPS Record-Route.
    const sipsRequest = recordRoute && request.uri().scheme === 'sips';
    for (const target of targets) {
      const build = (hop: HopAddress): SipMessage => {
        const copy = forwardCopy(request, {
          requestUri: target.requestUri,
          routes: target.routes,
          recordRoute: recordRoute && inbound !== undefined ? recordRouteValues(inbound, hop, token, sipsRequest || isSipsTarget(target)) : [],
          via: viaValue(hop, branchFor(hash, mark)),
          ownsRealm: (realm) => this.env.ownsRealm(realm),
        });
        nextHopByRoute(copy);
        return copy;
      };
      branches.push(new Branch(this.env, ctx, invite, build, target.destination, target.binding, relaying));
    }
    if (invite && serverTx !== undefined) {
      this.invites.set(serverTx, branches);
      serverTx.once('terminated', () => this.invites.delete(serverTx));
    }
    for (const b of branches) b.start();
    ctx.seal();
  }

  /** The server stops: the INVITE branches' timers (Timer C is 181 s) go with it. */
  close(): void {
    for (const branches of this.invites.values()) for (const b of branches) b.stop();
    this.invites.clear();
  }

  /** RFC 3261 16.10: a CANCEL for an INVITE we forked: every pending branch is cancelled. False when we have no such INVITE. */
  cancel(inviteTx: ServerTransaction): boolean {
    const branches = this.invites.get(inviteTx);
    if (branches === undefined) return false;
    for (const b of branches) b.cancel();
    return true;
  }

  /**
   * Where the request reached us, for the inbound Record-Route: the address the sender can reach by
   * construction. A stream connection reports its real local address; a wildcard UDP socket does
   * not tell which local address a datagram came to, so ours in the sender's family stands in for it
   * (not the outbound side's: an IPv4 caller must not be given an IPv6 route to us, RFC 5658).
   */
  private inboundHop(source: SocketIdentity): HopAddress {
    const { address, port } = source.local;
    const wildcard = address === '::' || address === '0.0.0.0';
    const host = wildcard ? this.env.own.toward(source.protocol, source.remote.address).host : address;
    return { protocol: source.protocol, host, port };
  }
}
