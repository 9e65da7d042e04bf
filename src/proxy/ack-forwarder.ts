// The ACK of a 2xx is a request of its own, end to end (RFC 3261 13.2.2.4, 17.1.1.3): a stateful
// proxy forwards it without a transaction (16.6 with no client transaction, 16.11 style), along the
// route set (we record-routed the INVITE, so it comes through us), to the contact it names, or, sent
// to a user's AOR (SIPp's uac does so), to her bindings (16.5).
import type { SipMessage } from '../sip/message.js';
import { isSipUri, type SipUri } from '../sip/uri.js';
import type { TransportLogger, SendTarget } from '../transport/types.js';
import type { ContactIndex } from './contact-index.js';
import type { DnsResolver } from './dns-resolver.js';
import { branchFor, forwardCopy, loopHash } from './forward-request.js';
import { nextHopByRoute } from './loose-route.js';
import type { OwnAddresses } from './own-address.js';
import { viaValue } from './own-address.js';
import type { BranchTarget } from './target-set.js';

export interface AckForwarderOptions {
  send(target: SendTarget, data: Buffer): Promise<unknown>;
  contacts: ContactIndex;
  resolver: DnsResolver;
  own: OwnAddresses;
  log: TransportLogger;
  /** Realms we authenticate for: the ACK's Proxy-Authorization for them is consumed like the INVITE's. */
  ownsRealm(realm: string): boolean;
}

export class AckForwarder {
  constructor(private readonly o: AckForwarderOptions) {}

  /** `ack` has been through 16.4 (our Route entries removed). */
  forward(ack: SipMessage): void {
    if (ack.maxForwards() === 0) return;
    this.route(ack).catch((err: unknown) => this.o.log.info({ err: String(err), callId: ack.callId() }, 'could not forward an ACK'));
  }

  private async route(ack: SipMessage): Promise<void> {
    const probe = ack.clone();
    const hop = nextHopByRoute(probe);
    let targets: SendTarget[];
    if (hop !== undefined) targets = await this.o.resolver.resolve(hop);
    else {
      const binding = this.o.contacts.find(ack.uri());
      const uri = ack.uri();
      if (binding !== undefined) {
        const { protocol, address, port } = binding.received;
        targets = [{ protocol, address, port, ...(binding.connectionId === undefined ? {} : { connectionId: binding.connectionId }) }];
      } else if (isSipUri(uri)) targets = await this.o.resolver.resolve(uri as SipUri);
      else return;
    }
    const target = targets[0];
    if (target === undefined) return;
    await this.send(ack, target);
  }

  /**
   * RFC 3261 16.5-16.6: an ACK for a user of ours goes to each of her bindings, as the INVITE did
   * (`targets`: the router's for her AOR), with the binding's contact as Request-URI and its Path as
   * route set. With no transaction and no response, we cannot know which device sent the 2xx: all get
   * it, and the others discard an ACK that matches no dialog of theirs, never answering it (17.2.1,
   * 12.2.2), as they answer the BYE that follows with 481.
   */
  forwardToTargets(ack: SipMessage, targets: readonly BranchTarget[]): void {
    if (ack.maxForwards() === 0) return;
    for (const t of targets) {
      this.toTarget(ack, t).catch((err: unknown) => this.o.log.info({ err: String(err), callId: ack.callId() }, 'could not forward an ACK'));
    }
  }

  private async toTarget(ack: SipMessage, t: BranchTarget): Promise<void> {
    const d = t.destination;
    // RFC 5626 5.3: an outbound binding whose flow is gone is not reached another way.
    if (d.kind === 'flow-failed') return;
    const target = d.kind === 'direct' ? d.target : (await this.o.resolver.resolve(d.uri))[0];
    if (target === undefined) return;
    await this.send(ack, target, t.requestUri, t.routes);
  }

  private async send(ack: SipMessage, target: SendTarget, requestUri?: string, routes: readonly string[] = []): Promise<void> {
    const own = this.o.own.toward(target.protocol, target.address);
    const copy = forwardCopy(ack, {
      requestUri, recordRoute: [], routes, via: viaValue(own, branchFor(loopHash(ack))), ownsRealm: (realm) => this.o.ownsRealm(realm),
    });
    nextHopByRoute(copy);
    // A binding's UDP target names the socket its REGISTER came to (target-set.ts), as a branch's does.
    const listener = target.listener ?? own.listener;
    await this.o.send(listener === undefined ? target : { ...target, listener }, copy.toBuffer());
  }
}
