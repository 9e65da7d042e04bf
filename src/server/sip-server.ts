// The composition root of `simplesip server`: transports below, transactions above them, storage,
// authentication and the registrar beside them, and the request handling of this server on top
// (RFC 3261 8.2 inspection, REGISTER, OPTIONS, and honest refusals for what later layers will serve).
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createResponse } from '../sip/builder.js';
import type { SipParseError } from '../sip/errors.js';
import type { SipMessage } from '../sip/message.js';
import { formatHostPort, isSipUri, type SipUri, type Uri } from '../sip/uri.js';
import type { ControlContext } from '../control/context.js';
import { aorOf } from '../registrar/binding-key.js';
import { sharedSourceAddresses } from '../transport/source-address.js';
import { ContactProber } from '../registrar/contact-prober.js';
import { dropRestoredStreamBindings, removeOnConnectionClose, trackKeepalives } from '../registrar/keepalive-tracker.js';
import type { RegisterAnswer } from '../registrar/register-response.js';
import { sharedTimerHeap } from '../transaction/timer-heap.js';
import { TransactionLayer } from '../transaction/transaction-layer.js';
import type { InviteServerTransaction, ServerTransaction } from '../transaction/index.js';
import { NonInviteServerTransaction } from '../transaction/non-invite-server-transaction.js';
import { TransportManager } from '../transport/transport-manager.js';
import { loadTrustedCa } from '../transport/tls-credentials.js';
import type { ListenerInfo, SocketIdentity } from '../transport/types.js';
import type { ServerConfig } from './config.js';
import { LocalIdentity } from './local-identity.js';
import { QueueDelayMonitor } from './queue-delay-monitor.js';
import { ALLOWED_METHODS, ACCEPTED_BODY_TYPES, KNOWN_METHODS, SUPPORTED_EXTENSIONS } from './methods.js';
import {
  checkBodyType, checkCSeqMethod, checkExtensions, checkKnownMethod, checkRegisterAor, checkSyntax, checkUriScheme, type Rejection,
} from './request-validation.js';
import { AuthFailureLimiter } from '../auth/failure-limiter.js';
import { RequestAuthorizer } from './request-auth.js';
import { openServices, type Services } from './services.js';
import { STORE_RETRY_AFTER_SECONDS, StoreError } from '../store/errors.js';
import { ServerStats } from './stats.js';
import { attachTracer } from './trace.js';
import { PresenceAgent } from '../presence/presence-agent.js';
import { ALLOW_EVENTS } from '../presence/event-packages.js';
import { DIALOG_TOKEN_PARAM } from '../proxy/dialog-route-token.js';
import { preprocessRoute } from '../proxy/loose-route.js';
import { createsDialog } from '../proxy/record-route.js';
import type { RequestKind } from '../proxy/route-request.js';
import { relayDecision } from '../proxy/relay-policy.js';
import { Routing } from './routing.js';
import type { Reply } from '../proxy/transaction-upstream.js';

/** In-dialog requests whose dialog the server itself holds and checks (481 when unknown): SUBSCRIBE refreshes to the presence agent. */
const DIALOGS_HELD_HERE: ReadonlySet<string> = new Set(['SUBSCRIBE']);

/** Serves one request that passed inspection and authentication; it must answer `tx`. */
export type LocalRequestHandler = (tx: ServerTransaction, request: SipMessage, source: SocketIdentity) => void;

export class SipServer {
  readonly transport: TransportManager;
  readonly transactions: TransactionLayer;
  readonly identity: LocalIdentity;
  readonly stats = new ServerStats();
  /** How long datagrams wait in the UDP receive queues: how far behind its load the server is. */
  readonly queueDelay: QueueDelayMonitor;
  private listeners: ListenerInfo[] = [];
  /** Set by start(): store, users, digest, location service, registrar. */
  private services: Services | undefined;
  private authorizer: RequestAuthorizer | undefined;
  private prober: ContactProber | undefined;
  /** Set by start(): the proxy, the MESSAGE policy and the offline store. */
  private routing: Routing | undefined;
  /**
   * Handlers of requests for a local domain, by method, after inspection and authentication (the
   * proxy registers MESSAGE, INVITE, ...; presence PUBLISH and SUBSCRIBE). Unhandled methods get 405.
   */
  readonly localHandlers = new Map<string, LocalRequestHandler>();
  /** Set by start(): PUBLISH, SUBSCRIBE and NOTIFY for our users' presence (src/presence). */
  private presence: PresenceAgent | undefined;
  /** Route preprocessing's tests (16.4), made once rather than per request. */
  private readonly isOwnUri = (u: Uri): boolean => this.identity.isLocalUri(u);
  private readonly isOurDialogRoute = (u: SipUri, r: SipMessage): boolean =>
    this.ready().dialogRoutes.verify(r.callId(), u.params.get(DIALOG_TOKEN_PARAM));

  /** `traceOut`: where `--trace` writes (standard output by default). */
  constructor(private readonly config: ServerConfig, private readonly log: Logger, traceOut: Writable = process.stdout) {
    this.identity = new LocalIdentity(config.domains);
    this.transport = new TransportManager({
      logger: log,
      symmetricResponses: config.symmetricResponses,
      tls: config.tlsCert && config.tlsKey ? { certFile: config.tlsCert, keyFile: config.tlsKey } : undefined,
      tlsClient: config.tlsCa === undefined ? undefined : { ca: loadTrustedCa(config.tlsCa) },
      limits: { maxMessageSize: config.maxMessageSize },
      maxConnections: config.maxConnections,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      idleTimeoutMs: config.idleTimeoutSeconds * 1000,
      udpBufferSize: config.udpBufferSize,
      measureQueueDelay: true,
    });
    this.queueDelay = new QueueDelayMonitor({ measure: () => this.transport.queueDelayMs(), warnMs: config.queueDelayWarnMs, log });
    this.transactions = new TransactionLayer({ transport: this.transport, t1: config.t1Ms });
    if (config.trace) attachTracer(this.transport, traceOut);

    this.transport.on('message', (msg: SipMessage, source: SocketIdentity) => this.onMessage(msg, source));
    this.transport.on('connection-closed', (source: SocketIdentity) => {
      if (source.connectionId !== undefined) this.transactions.connectionClosed(source.connectionId);
    });
    this.transport.on('malformed', (err: SipParseError, data: Buffer, source: SocketIdentity) =>
      this.onMalformed(err, data, source));
    this.transactions.on('request', (tx: ServerTransaction, req: SipMessage, source: SocketIdentity) =>
      this.onRequest(tx, req, source));
    this.transactions.on('cancel', (cancelTx: ServerTransaction, inviteTx: InviteServerTransaction | undefined, cancel: SipMessage) =>
      this.onCancel(cancelTx, inviteTx, cancel));
    this.transactions.on('ack', (ack: SipMessage) => this.onAck(ack));
    this.transactions.on('malformed', (msg: SipMessage, source: SocketIdentity, err: SipParseError) =>
      this.log.info({ source: describeSource(source), reason: err.reason }, 'dropped a message that matches no transaction'));
    this.transactions.on('stray-response', (res: SipMessage, source: SocketIdentity) =>
      this.log.info({ source: describeSource(source), status: res.status }, 'dropped a response that matches no transaction of ours'));
  }

  /** open() then run(): everything opened, then the background work started. */
  async start(): Promise<ListenerInfo[]> {
    const listeners = await this.open();
    this.run();
    return listeners;
  }

  /**
   * Opens the store, loads users and bindings, then every configured socket; a failure closes what
   * was opened and rejects with its reason. Requests are served from here on, but nothing runs on
   * its own yet (no offline delivery, no OPTIONS probes, no queue-delay samples, no presence work):
   * run() starts it once the caller has opened what else it needs (the control API), so a start that
   * fails after open() has sent nothing (a stored message delivered by a start that then failed was
   * delivered again by the next one); stop() closes it all.
   */
  async open(): Promise<ListenerInfo[]> {
    const services = await openServices(this.config, this.log);
    this.services = services;
    this.authorizer = new RequestAuthorizer(services.digest, this.identity, this.stats,
      new AuthFailureLimiter({ maxFailures: this.config.maxAuthFailures, banMs: this.config.authBanSeconds * 1000 }), services.spiralProof);
    if (!this.config.auth) this.log.warn('authentication is OFF (--auth off): anyone may register any user of our domains');
    if (this.config.store === 'memory') {
      this.log.warn('storage is in memory (--store memory): users added with ctl, bindings, presence and stored messages are lost when the server stops; --data is not used');
    }
    const { probeIntervalSeconds: probe, idleTimeoutSeconds: idle } = this.config;
    // A quiet source is probed up to two intervals after its last sign of life; a stream that closes
    // sooner takes its bindings with it although its UA would have answered.
    if (probe > 0 && idle <= 2 * probe) {
      this.log.warn({ idleTimeout: idle, probeInterval: probe },
        `--idle-timeout ${idle} is not above twice --probe-interval ${probe}: quiet TCP/TLS clients without RFC 5626 keepalives will lose their bindings; raise --idle-timeout above ${2 * probe}`);
    }
    trackKeepalives(this.transport, services.location);
    try {
      this.routing = await Routing.open({
        config: this.config, services, identity: this.identity, transport: this.transport, transactions: this.transactions,
        listeners: () => this.listeners, stats: this.stats, log: this.log,
        senderProved: (request) => !this.config.auth || this.authorizer?.authenticated(request) === true,
        spiralMark: (request) => this.authorizer?.authenticated(request) === true ? services.spiralProof.mark(request) : '',
      });
    } catch (err) {
      services.location.close();
      await services.store.close();
      throw err;
    }
    removeOnConnectionClose(this.transport, services.location, this.log);
    try {
      const dropped = await dropRestoredStreamBindings(services.location);
      if (dropped > 0) this.log.info({ dropped }, 'stream bindings of the previous process removed (their connections are gone)');
      await this.openPresence(services);
      for (const spec of this.config.listen) {
        const info = await this.transport.listen(spec);
        this.identity.addListener(info.address, info.port);
        this.listeners.push(info);
      }
    } catch (err) {
      await this.transport.close();
      this.presence?.close();
      this.routing.close();
      services.location.close();
      await services.store.close();
      throw err;
    }
    return this.listeners;
  }

  /** Starts the background work of an opened server: offline delivery, OPTIONS probes, queue-delay samples, presence. */
  run(): void {
    const services = this.ready();
    this.prober = new ContactProber({
      location: services.location, transactions: this.transactions, timers: sharedTimerHeap(),
      intervalSeconds: this.config.probeIntervalSeconds, serverName: this.config.serverName, logger: this.log,
    });
    this.prober.start();
    this.queueDelay.start();
    this.routing?.start();
    this.presence?.start();
  }

  async stop(): Promise<void> {
    this.queueDelay.stop();
    this.prober?.stop();
    this.routing?.close();
    this.presence?.close();
    this.services?.location.close();
    this.transactions.close();
    await this.transport.close();
    await this.services?.store.close();
  }

  /** What the control API serves (src/control/context.ts); available once start() resolved. */
  controlContext(): ControlContext {
    const { location, users } = this.ready();
    return {
      location,
      users,
      stats: this.stats,
      transactions: () => this.transactions.counts(),
      listeners: () => this.listeners.map((l) => l.description),
      messages: this.routing?.offline,
      presence: this.presence,
      queueDelay: this.queueDelay,
      udpReceiveDrops: () => this.transport.udpReceiveDrops(),
      servesDomain: (domain) => this.identity.isLocalDomain(domain),
    };
  }

  /** The location service (the proxy and presence use it: lookup, bindingsFrom, 'change' events). */
  get location(): Services['location'] {
    return this.ready().location;
  }

  /** The offline message store (the control API lists and removes through it). */
  get offlineMessages(): Routing['offline'] {
    if (this.routing === undefined) throw new Error('the server is not started');
    return this.routing.offline;
  }

  /** The user directory (tests and the control API add users through it). */
  get users(): Services['users'] {
    return this.ready().users;
  }

  private ready(): Services {
    if (this.services === undefined) throw new Error('the server is not started');
    return this.services;
  }

  private onMessage(msg: SipMessage, source: SocketIdentity): void {
    if (msg.kind === 'response') {
      this.transactions.receive(msg, source);
      return;
    }
    this.stats.requestsReceived++;
    const rejection = checkSyntax(msg);
    if (rejection) {
      if (msg.method === 'REGISTER') this.stats.registrationsRejected++;
      this.replyStateless(msg, source, rejection);
      return;
    }
    this.transactions.receive(msg, source);
  }

  /** RFC 3261 18.3 / 8.2: a request we could frame but not parse still gets its 400 (or 505, 513). */
  private onMalformed(err: SipParseError, data: Buffer, source: SocketIdentity): void {
    const partial = err.partial;
    if (partial?.kind === 'request' && partial.method !== 'ACK' && partial.hasHeader('via')) {
      this.log.info({ source: describeSource(source), reason: err.reason }, 'malformed request rejected');
      if (partial.method === 'REGISTER') this.stats.registrationsRejected++;
      this.replyStateless(partial, source, { status: err.status, reason: err.reason, headers: [] });
      return;
    }
    this.log.warn({ source: describeSource(source), reason: err.reason, bytes: data.length },
      'dropped a malformed message that cannot be answered');
  }

  private onRequest(tx: ServerTransaction, request: SipMessage, source: SocketIdentity): void {
    // On a wildcard socket, what we will write as our address toward this peer is the route's source:
    // learned now (once per peer), so that it is known when we send the peer requests of our own.
    sharedSourceAddresses().warm(source.local.address, source.remote.address);
    const rejection = this.inspect(request);
    if (rejection) {
      if (request.method === 'REGISTER') this.stats.registrationsRejected++;
      this.replyInTransaction(tx, request, rejection.status, rejection.reason, rejection.headers);
      return;
    }
    const uri = request.uri() as SipUri;
    const local = this.identity.isLocalDomain(uri.host);
    if (request.method === 'REGISTER' && local) {
      this.register(tx, request, source);
      return;
    }
    // RFC 3261 16.4: our own Route entries go (preloaded by clients, or our Record-Route in a dialog).
    const { viaOurRecordRoute } = preprocessRoute(request, this.isOwnUri, this.isOurDialogRoute);
    const routing = this.routing as Routing;
    const kind = routing.router.classify(request);
    // RFC 3261 8.2.2.3 / 16.3 step 5: as the UAS (the server itself, or the presence agent for a user)
    // unsupported Require tags get 420; as a proxy Proxy-Require does, and Require goes on untouched
    // for the callee to judge.
    const servedHere = kind === 'self' || (kind === 'user' && this.localHandlers.has(request.method));
    // RFC 3261 8.2.1 as the UAS; 16.2: a proxy forwards a method it does not know (if its CSeq agrees, 8.1.1.5).
    const unknownMethod = KNOWN_METHODS.has(request.method) ? undefined : servedHere ? checkKnownMethod(request) : checkCSeqMethod(request);
    const unsupported = unknownMethod ?? checkExtensions(request, servedHere ? 'uas' : 'proxy');
    if (unsupported) {
      this.replyInTransaction(tx, request, unsupported.status, unsupported.reason, unsupported.headers);
      return;
    }
    const relay = relayDecision(request, kind, viaOurRecordRoute, (host) => this.identity.isLocalDomain(host));
    if (relay.kind === 'refuse') {
      this.replyInTransaction(tx, request, 403, relay.reason);
      return;
    }
    // Our users' requests are authenticated before anything decides where they go (RFC 3261 16.3
    // step 6 / 22.3). A REGISTER for another domain is not ours to challenge unless it is relayed.
    // In-dialog requests are let through on proof of the dialog: our signed Record-Route, or a
    // dialog the server holds itself and checks (the presence agent answers 481 to unknown ones).
    const ownDialog = (kind === 'self' || kind === 'user') && DIALOGS_HELD_HERE.has(request.method);
    const denied = request.method === 'REGISTER' && relay.kind !== 'authenticate'
      ? undefined
      : this.authorizer?.check(request, { relay: relay.kind === 'authenticate', provenDialog: viaOurRecordRoute || ownDialog, source: source.remote.address, protocol: source.protocol });
    if (denied) {
      this.replyInTransaction(tx, request, denied.status, denied.reason, denied.headers);
      return;
    }
    const reply = (status: number, reason: string, headers: Array<[string, string]> = []): void =>
      this.replyInTransaction(tx, request, status, reason, headers);
    if (kind !== 'self' && kind !== 'user') {
      this.forwardWhenRouteKnown(routing, tx, request, source, kind, reply);
      return;
    }
    if (kind === 'self' && request.method === 'OPTIONS') {
      this.replyInTransaction(tx, request, 200, 'OK', this.capabilityHeaders());
      return;
    }
    const handler = this.localHandlers.get(request.method);
    if (handler) {
      handler(tx, request, source);
      return;
    }
    if (kind === 'user') {
      this.forwardWhenRouteKnown(routing, tx, request, source, kind, reply);
      return;
    }
    this.log.debug({ source: describeSource(source), method: request.method }, 'request not served yet');
    this.replyInTransaction(tx, request, 405, 'Method Not Allowed', [['Allow', this.allowedMethods()]]);
  }

  /**
   * Forwards a request. One that creates a dialog gets a Record-Route naming us as its sender reaches
   * us (RFC 3261 16.6 step 4, RFC 5658): on a wildcard socket, a sender never seen before waits for
   * the route to it to be learned (transport/source-address.ts), well under a millisecond.
   */
  private forwardWhenRouteKnown(routing: Routing, tx: ServerTransaction, request: SipMessage, source: SocketIdentity,
    kind: RequestKind, reply: Reply): void {
    const forward = (): void => routing.route(tx, request, source, kind, reply);
    const learning = createsDialog(request.method, request.to().tag !== undefined)
      ? sharedSourceAddresses().pending(source.local.address, source.remote.address)
      : undefined;
    if (learning === undefined) forward();
    // A CANCEL answered meanwhile (the INVITE got its 487 here): nothing is forwarded.
    else void learning.then(() => { if (tx.state === 'trying' || tx.state === 'proceeding') forward(); });
  }

  /**
   * RFC 3261 10.3: step 1 (a Request-URI of ours) and 2 (Require) were checked by inspect(); the To
   * domain comes next (step 5, before the challenge: the realm is that domain), then authentication
   * and authorization (steps 3-4), then the registrar (steps 6-8).
   */
  private register(tx: ServerTransaction, request: SipMessage, source: SocketIdentity): void {
    // Counted as a rejection like every final non-2xx answer; a store failure says so, with when to
    // try again (RFC 3261 21.5.1), and the registration stays as it was (10.3 step 7).
    const fail = (err: unknown): void => {
      this.log.error({ source: describeSource(source), err: String(err) }, 'REGISTER failed');
      this.answerRegister(tx, request, err instanceof StoreError
        ? { status: 500, reason: 'Server Internal Error (the registration could not be stored)', headers: [['Retry-After', String(STORE_RETRY_AFTER_SECONDS)]] }
        : { status: 500, reason: 'Server Internal Error', headers: [] });
    };
    const answer = (a: RegisterAnswer): void => {
      try {
        this.answerRegister(tx, request, a);
      } catch (err) {
        fail(err);
      }
    };
    try {
      const to = request.to().uri as SipUri;
      if (!this.identity.isLocalDomain(to.host)) {
        // The AOR as the registrar keys it: a mapped host as its IPv4 address, IPv6 bracketed.
        const aor = aorOf(to);
        answer({ status: 404, reason: `Not Found (${aor} is not served here)`, headers: [] });
        return;
      }
      const denied = this.authorizer?.check(request, { source: source.remote.address, protocol: source.protocol });
      if (denied !== undefined) {
        answer(denied);
        return;
      }
      this.ready().registrar.register(request, source).then(answer, fail);
    } catch (err) {
      fail(err);
    }
  }

  private answerRegister(tx: ServerTransaction, request: SipMessage, answer: RegisterAnswer): void {
    if (answer.status === 200) this.stats.registrationsAccepted++;
    else if (answer.status !== 401) this.stats.registrationsRejected++;
    this.replyInTransaction(tx, request, answer.status, answer.reason, answer.headers);
  }

  /**
   * RFC 3261 8.2 for requests addressed to us, 16.3 for those we would have to forward (their relay
   * refusal comes after authentication, in onRequest).
   */
  private inspect(request: SipMessage): Rejection | undefined {
    // An unknown method is judged once its fate is known (onRequest): 501 as the UAS, forwarded as a proxy.
    const early = (KNOWN_METHODS.has(request.method) ? checkCSeqMethod(request) : undefined) ?? checkUriScheme(request);
    if (early) return early;
    const uri = request.uri();
    if (!isSipUri(uri)) return undefined;
    if (!this.identity.isLocalDomain(uri.host)) {
      const ext = checkExtensions(request, 'proxy');
      if (ext) return ext;
      if (request.maxForwards() === 0) return { status: 483, reason: 'Too Many Hops', headers: [] };
      return undefined;
    }
    // Require is checked once the request's fate is known (onRequest): a UAS checks it, a proxy passes
    // it on and checks Proxy-Require. A REGISTER for our domain is always ours (10.3 step 2).
    return (request.method === 'REGISTER' ? checkExtensions(request, 'uas') : undefined)
      ?? checkRegisterAor(request)
      ?? (request.method === 'OPTIONS' ? checkBodyType(request) : undefined);
  }

  private onCancel(cancelTx: ServerTransaction, inviteTx: InviteServerTransaction | undefined, cancel: SipMessage): void {
    if (!inviteTx) {
      // RFC 3261 9.2: nothing to cancel.
      this.replyInTransaction(cancelTx, cancel, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    this.replyInTransaction(cancelTx, cancel, 200, 'OK');
    // RFC 3261 16.10: an INVITE we forked: its branches are cancelled, their 487 goes up through 16.7.
    if (this.routing?.forwarder.cancel(inviteTx)) return;
    this.replyInTransaction(inviteTx, inviteTx.request, 487, 'Request Terminated');
  }

  /**
   * The ACK of a 2xx (a request of its own, RFC 3261 17.1.1.3) follows its route set, goes to the
   * contact, or, addressed to a user's AOR, to her bindings like the INVITE (16.5).
   */
  private onAck(ack: SipMessage): void {
    if (this.routing === undefined) return;
    try {
      preprocessRoute(ack, (u) => this.identity.isLocalUri(u));
      const kind = this.routing.router.classify(ack);
      if (kind === 'route' || kind === 'contact' || kind === 'foreign') this.routing.acks.forward(ack);
      else if (kind === 'user') {
        // A user without bindings (or unknown): nobody to give it to. ACK is never answered (17.2.1).
        const decision = this.routing.router.decide(ack, kind);
        if (decision.kind === 'fork') this.routing.acks.forwardToTargets(ack, decision.targets);
      }
      // An ACK for the server itself has nowhere to go (ACKs of our own non-2xx never get here).
    } catch (err) {
      this.log.info({ err: String(err) }, 'dropped an ACK that cannot be routed');
    }
  }

  /** The presence agent (RFC 3856, 3903): PUBLISH and SUBSCRIBE for users of our domains. */
  private async openPresence(services: Services): Promise<void> {
    const presence = new PresenceAgent({
      repositories: services.store,
      location: services.location,
      limits: { min: this.config.minExpires, max: this.config.maxExpires, fallback: 3600 },
      maxPublications: this.config.maxPublications,
      watcherLimits: { maxWatchers: this.config.maxWatchers, maxPendingWatchers: this.config.maxPendingWatchers },
      knownUser: (username, domain) => !this.config.auth || services.users.has(username, domain),
      sameDomain: (a, b) => this.identity.sameDomain(a, b),
      sendRequest: (request, target) => this.transactions.sendRequest(request, target),
      serverName: this.config.serverName,
      connectionOpen: (id) => this.transport.isConnectionOpen(id),
      registeredFlow: (uri) => this.routing?.registeredFlow(uri),
      logger: this.log,
      flowOpen: (id) => this.routing?.flows.isOpen(id) ?? true,
    });
    this.transport.on('connection-closed', (source) => {
      if (source.connectionId !== undefined) this.presence?.flowClosed(source.connectionId);
    });
    const restored = await presence.restore();
    this.log.info(restored, 'presence state restored');
    this.presence = presence;
    this.localHandlers.set('PUBLISH', presence.handlePublish);
    this.localHandlers.set('SUBSCRIBE', presence.handleSubscribe);
  }

  /** Allow (RFC 3261 20.5): what we answer ourselves, and the methods local handlers serve. */
  private allowedMethods(): string {
    return [...new Set([...ALLOWED_METHODS, ...this.localHandlers.keys()])].join(', ');
  }

  /** RFC 3261 11.2: what an OPTIONS answer tells about us. */
  private capabilityHeaders(): Array<[string, string]> {
    return [
      ['Allow', this.allowedMethods()],
      // RFC 6665 8.2.2 (RFC 3856 6.1): the event packages the presence agent serves.
      ...(this.presence === undefined ? [] : [['Allow-Events', ALLOW_EVENTS] as [string, string]]),
      ['Accept', ACCEPTED_BODY_TYPES.join(', ')],
      ['Supported', SUPPORTED_EXTENSIONS.join(', ')],
    ];
  }

  private buildResponse(request: SipMessage, status: number, reason: string, headers: Array<[string, string]>): SipMessage {
    return createResponse(request, status, reason, { headers: [...headers, ['Server', this.config.serverName]] });
  }

  private replyInTransaction(tx: ServerTransaction, request: SipMessage, status: number, reason: string,
    headers: Array<[string, string]> = []): void {
    this.stats.responsesSent++;
    const response = this.buildResponse(request, status, reason, registrarError(request, status, reason, headers));
    // Our own challenges (the only 401/407 this server writes; forwarded ones go through the proxy)
    // are sent once, statelessly (RFC 3261 26.3.2.4): the answer to one may come back under the same
    // branch (libpurple), and must then be a new request, not a retransmission.
    if ((status === 401 || status === 407) && tx instanceof NonInviteServerTransaction) tx.respondStateless(response);
    else tx.respond(response);
  }

  /** Answer outside any transaction: used when the request is too broken to match one (RFC 3261 17.2). */
  private replyStateless(request: SipMessage, source: SocketIdentity, rejection: Rejection): void {
    if (request.method === 'ACK') return;
    let response: SipMessage;
    try {
      response = this.buildResponse(request, rejection.status, rejection.reason, rejection.headers);
    } catch (err) {
      this.log.warn({ source: describeSource(source), reason: rejection.reason, err: String(err) },
        'cannot build an error response; request dropped');
      return;
    }
    this.stats.responsesSent++;
    this.transport.sendResponse(response, source).catch((err: unknown) =>
      this.log.warn({ source: describeSource(source), err: String(err) }, 'could not send error response'));
  }
}

export function describeSource(source: SocketIdentity): string {
  return `${source.protocol} ${formatHostPort(source.remote.address, source.remote.port)}`;
}

/**
 * Every refusal of a REGISTER names its reason in P-Registrar-Error too (as Kamailio's registrar
 * does; README Registrar), whichever layer refused it: the registrar, validation, authorization or
 * the relay policy. The detail is the reason phrase's parenthesis, else the phrase. Not on the 401
 * challenge, which is no refusal.
 */
function registrarError(request: SipMessage, status: number, reason: string, headers: Array<[string, string]>): Array<[string, string]> {
  if (request.method !== 'REGISTER' || status < 300 || status === 401 || status === 407) return headers;
  if (headers.some(([name]) => name.toLowerCase() === 'p-registrar-error')) return headers;
  const detail = /\((.+)\)$/.exec(reason)?.[1] ?? reason;
  return [...headers, ['P-Registrar-Error', detail]];
}
