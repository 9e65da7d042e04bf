// The request routing of the server: the stateful proxy (src/proxy) and the MESSAGE policy with its
// offline store (src/messaging), built once the location service and the listeners exist.
import type { Logger } from 'pino';
import { AckForwarder } from '../proxy/ack-forwarder.js';
import type { BranchEnv } from '../proxy/branch.js';
import { ContactIndex } from '../proxy/contact-index.js';
import { DnsResolver } from '../proxy/dns-resolver.js';
import { FlowState } from '../proxy/flow-state.js';
import { Forwarder } from '../proxy/forwarder.js';
import { OwnAddresses } from '../proxy/own-address.js';
import type { Answer } from '../proxy/response-context.js';
import { RequestRouter, type RequestKind } from '../proxy/route-request.js';
import { branchTarget } from '../proxy/target-set.js';
import { TransactionUpstream, type Reply } from '../proxy/transaction-upstream.js';
import { MessagePolicy, senderKey } from '../messaging/message-policy.js';
import type { RegisteredFlow } from '../presence/notifier.js';
import { OfflineDelivery } from '../messaging/offline-delivery.js';
import { OfflineStore } from '../messaging/offline-store.js';
import { RateLimiter } from '../messaging/rate-limit.js';
import type { SipMessage } from '../sip/message.js';
import type { SipUri } from '../sip/uri.js';
import type { BindingRecord } from '../store/types.js';
import { sharedTimerHeap } from '../transaction/timer-heap.js';
import type { ServerTransaction } from '../transaction/server-transaction.js';
import type { TransactionLayer } from '../transaction/transaction-layer.js';
import type { TransportManager } from '../transport/transport-manager.js';
import type { ListenerInfo, SocketIdentity } from '../transport/types.js';
import type { ServerConfig } from './config.js';
import type { LocalIdentity } from './local-identity.js';
import type { Services } from './services.js';
import type { ServerStats } from './stats.js';

/** RFC 3261 16.8: Timer C "MUST be larger than 3 minutes". */
const TIMER_C_MS = 181_000;

export interface RoutingDeps {
  config: ServerConfig;
  services: Services;
  identity: LocalIdentity;
  transport: TransportManager;
  transactions: TransactionLayer;
  listeners: () => readonly ListenerInfo[];
  stats: ServerStats;
  log: Logger;
  /** Whether the request's From was proved by a digest answer (always, with --auth off). */
  senderProved: (request: SipMessage) => boolean;
  /** The mark of our Via branch for a request whose sender proved who it is ('' for the others). */
  spiralMark: (request: SipMessage) => string;
}

/**
 * A binding that did not answer or refused: its next OPTIONS probe comes in the next round (the
 * prober skips sources with a recent sign of life; forgetting it makes this one a candidate). The
 * prober, not the proxy, decides whether the binding is dead.
 */
function suspect(binding: BindingRecord): void {
  binding.lastKeepalive = undefined;
}

export class Routing {
  readonly router: RequestRouter;
  readonly forwarder: Forwarder;
  readonly acks: AckForwarder;
  readonly messages: MessagePolicy;
  private readonly delivery: OfflineDelivery;
  readonly flows: FlowState;
  private readonly contacts: ContactIndex;
  /** When the last "offline store is full" warning was logged (at most one a minute while it refuses). */
  private fullWarnedAt = -Infinity;

  private constructor(private readonly d: RoutingDeps, readonly offline: OfflineStore) {
    const { services, identity, transport, transactions, stats, config, log } = d;
    const own = new OwnAddresses(d.listeners);
    const resolver = new DnsResolver(config.dns);
    const contacts = new ContactIndex(services.location);
    const flows = new FlowState(transport, services.location);
    this.flows = flows;
    this.contacts = contacts;
    const env: BranchEnv = { transactions, own, resolver, timers: sharedTimerHeap(), timerCMs: config.timerCMs ?? TIMER_C_MS, suspect,
      ownsRealm: (realm) => identity.isLocalDomain(realm), dialogToken: (callId) => services.dialogRoutes.sign(callId),
      spiralMark: d.spiralMark };
    this.forwarder = new Forwarder(env);
    this.router = new RequestRouter({
      location: services.location,
      hasUser: (user, domain) => services.users.has(user, domain),
      identity: { isLocalDomain: (h) => identity.isLocalDomain(h), isLocalUri: (u) => identity.isLocalUri(u) },
      contacts,
      flows,
    });
    this.acks = new AckForwarder({ send: (t, b) => transport.send(t, b), contacts, resolver, own, log, ownsRealm: (realm) => identity.isLocalDomain(realm) });
    this.messages = new MessagePolicy({
      maxBodyBytes: config.maxMessageBody,
      limiter: new RateLimiter({ perSecond: config.messageRate, burst: config.messageBurst }),
      offline,
      onStored: (aor) => { stats.messagesStored++; this.delivery.stored(aor); },
      onReleased: (aor) => this.delivery.flush(aor),
      onStoreFull: () => this.storeFull(),
      timers: sharedTimerHeap(),
      storeAfterMs: 32 * (config.t1Ms ?? 500),
      logger: log,
    });
    this.delivery = new OfflineDelivery({
      store: offline,
      location: services.location,
      send: (request, aor) => this.deliver(request, aor),
      timers: sharedTimerHeap(),
      retrySeconds: config.offlineRetrySeconds,
      log,
      onDelivered: () => { stats.messagesDelivered++; },
      onRefused: () => { stats.messagesRefused++; },
    });
  }

  static async open(d: RoutingDeps): Promise<Routing> {
    const offline = await OfflineStore.load({
      repository: d.services.store.offlineMessages,
      expirySeconds: d.config.offlineExpirySeconds,
      maxPerUser: d.config.offlineMaxPerUser,
      maxBytes: d.config.offlineMaxBytes,
      timers: sharedTimerHeap(),
    });
    return new Routing(d, offline);
  }

  /** Delivers what waited for users registered now (after a restart); call once the sockets are open. */
  start(): void {
    this.delivery.start();
  }

  close(): void {
    this.forwarder.close();
    this.delivery.close();
    this.offline.close();
  }

  /**
   * Where a request for the registered contact `uri` goes now, as the proxy sends it (README: Proxy and
   * routing): its binding's current connection or source, no target while that binding is an RFC 5626
   * flow whose connection is closed (5.3). Undefined for a contact nobody registered, or one reached
   * through a Path. The presence agent's NOTIFYs use it once the SUBSCRIBE's own connection is gone.
   */
  registeredFlow(uri: SipUri): RegisteredFlow | undefined {
    const binding = this.contacts.find(uri);
    if (binding === undefined) return undefined;
    const { destination } = branchTarget(binding, (id) => this.flows.isOpen(id));
    if (destination.kind === 'flow-failed') return { aor: binding.aor, target: undefined };
    return destination.kind === 'direct' ? { aor: binding.aor, target: destination.target } : undefined;
  }

  /**
   * Forwards a request that passed inspection, authentication and the relay policy: targets (16.5),
   * the MESSAGE policy (size, rate, offline store), then the fork.
   */
  route(tx: ServerTransaction, request: SipMessage, source: SocketIdentity, kind: RequestKind, reply: Reply): void {
    const isMessage = request.method === 'MESSAGE';
    if (isMessage) {
      const refusal = this.messages.admit(request, senderKey(request, this.d.senderProved(request), source.remote.address));
      if (refusal) {
        if (refusal.status === 503) this.d.stats.messagesRateLimited++;
        reply(refusal.status, refusal.reason, refusal.headers);
        return;
      }
    }
    const decision = this.router.decide(request, kind);
    if (decision.kind === 'reject') {
      if (decision.offline !== undefined && this.messages.storable(request)) {
        this.storeAndReply(request, decision.offline.aor, reply);
        return;
      }
      reply(decision.status, decision.reason, decision.headers);
      return;
    }
    const upstream = new TransactionUpstream(tx, reply);
    if (isMessage) {
      this.d.stats.messagesRelayed++;
      if (decision.aor !== undefined) {
        const aor = decision.aor;
        this.forwarder.fork(this.messages.storingUpstream(request, aor, upstream, (r) => reply(r.status, r.reason, r.headers)),
          request, source, decision.targets, tx);
        return;
      }
    }
    this.forwarder.fork(upstream, request, source, decision.targets, tx);
  }

  private storeFull(): void {
    const now = Date.now();
    if (now - this.fullWarnedAt < 60_000) return;
    this.fullWarnedAt = now;
    this.d.log.warn({ maxBytes: this.d.config.offlineMaxBytes },
      'the offline message store is full (--offline-max-bytes): new messages for users who are away are refused with 480 until delivered or expired ones make room');
  }

  private storeAndReply(request: SipMessage, aor: string, reply: Reply): void {
    this.messages.store(request, aor).then(
      (r) => reply(r.status, r.reason, r.headers),
      (err: unknown) => {
        this.d.log.error({ aor, err: String(err) }, 'could not store an offline message');
        reply(500, 'Server Internal Error (the message could not be stored)');
      },
    );
  }

  /** A stored message to every binding of `aor`; resolves with the final status. */
  private deliver(request: SipMessage, aor: string): Promise<number> {
    const bindings = this.d.services.location.lookup(aor);
    return new Promise((resolve) => {
      this.forwarder.fork({ provisional: () => undefined, final: (a: Answer) => resolve(a.status) }, request, undefined,
        bindings.map((b) => branchTarget(b, (id) => this.flows.isOpen(id))));
    });
  }
}
