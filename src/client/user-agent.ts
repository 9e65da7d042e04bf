// The user agent: registration with RFC 5626 outbound, messaging, typing, presence, and a clean
// exit. It wires the shared stack (transport, transactions) to the pieces in this directory.
import { EventEmitter } from 'node:events';
import { RPID_ACTIVITIES } from '../presence/pidf.js';
import { createResponse } from '../sip/builder.js';
import { SipParseError } from '../sip/errors.js';
import { parseMediaType } from '../sip/headers/media-type.js';
import type { SipMessage } from '../sip/message.js';
import { formatHostPort, parseUri, type SipUri } from '../sip/uri.js';
import { TransactionLayer } from '../transaction/transaction-layer.js';
import { transactionTimeout } from '../transaction/timers.js';
import { TransportManager } from '../transport/transport-manager.js';
import { displayHost } from '../transport/address.js';
import type { ListenerInfo, SocketIdentity } from '../transport/types.js';
import { AuthenticatingSender } from './auth-retry.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { SipClientError } from './errors.js';
import { openFlow, type Flow } from './flow.js';
import { answerRequest, unsupportedMedia } from './incoming.js';
import { defaultStateDir, loadInstanceId } from './instance-id.js';
import { RegIdLock } from './reg-id-lock.js';
import { bindUdpInRange, DEFAULT_PORT_RANGE, routedLocalAddress } from './local-socket.js';
import { classifyMessage, sendMessage } from './messaging.js';
import { NatKeepalive } from './nat-keepalive.js';
import { checkContentType, checkLocalAddress, checkOptions, checkPresenceSetting } from './option-checks.js';
import { OutboundKeepalive, type MappedAddress } from './outbound-keepalive.js';
import { isSuccess, isUnreachable, type Outcome } from './outcome.js';
import { PresencePublisher } from './presence-publisher.js';
import { PresenceWatcher } from './presence-watcher.js';
import { later, refreshDelayMs } from './refresh-timer.js';
import { Registration, type RegisterResult } from './registration.js';
import { RequestBuilder } from './request-builder.js';
import { resolveServer, type ServerTarget } from './resolver.js';
import { TypingIndicator } from './typing.js';
import type { CloseResult, PresenceEvent, PresenceSetting, SendResult, UserAgentEvents, UserAgentOptions } from './types.js';

const DEFAULT_USER_AGENT = 'simplesip/0.1.0';

/** Waits for `promise` (a failure ignored) or `ms`, whichever comes first, leaving no timer behind. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise.catch(() => undefined), new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}

function sipUri(text: string, what: string): SipUri {
  let uri;
  try {
    uri = parseUri(text);
  } catch (err) {
    if (err instanceof SipParseError) throw new SipClientError('invalid-option', `${what} "${text}" is not a SIP URI: ${err.reason}`);
    throw err;
  }
  if (uri.scheme !== 'sip' && uri.scheme !== 'sips') throw new SipClientError('invalid-option', `${what} "${text}" is not a sip: or sips: URI`);
  return uri as SipUri;
}

/** Errors a caller can act on, from what became of a request. */
export function outcomeError(outcome: Outcome, what: string): SipClientError {
  if (outcome.noCredentials) {
    return new SipClientError('auth-failed', `${what}: ${outcome.status} ${outcome.reason}: the server asks for a password and none was given`, outcome.status);
  }
  if (outcome.authFailed) {
    return new SipClientError('auth-failed', `${what}: ${outcome.status} ${outcome.reason}: wrong username or password (the server refused our answer to its challenge)`, outcome.status);
  }
  if (outcome.local === 'closed') return new SipClientError('closed', `${what}: the user agent closed before an answer came`);
  if (isUnreachable(outcome)) return new SipClientError('unreachable', `${what}: the server cannot be reached (${outcome.status} ${outcome.reason})`, outcome.status);
  return new SipClientError('rejected', `${what}: ${outcome.status} ${outcome.reason}`, outcome.status);
}

interface Started {
  transport: TransportManager;
  layer: TransactionLayer;
  targets: ServerTarget[];
  builder: RequestBuilder;
  sender: AuthenticatingSender;
  registration: Registration;
  regIdLock: RegIdLock | undefined;
  publisher: PresencePublisher;
  watcher: PresenceWatcher;
}

export class UserAgent extends EventEmitter<UserAgentEvents> {
  readonly aor: string;
  private readonly aorUri: SipUri;
  private readonly options: UserAgentOptions;
  private starting: Promise<Started> | undefined;
  private flowNow: Flow | undefined;
  private targetIndex = 0;
  private readonly udpListeners = new Map<string, ListenerInfo>();
  private readonly typing: TypingIndicator;
  private registered = false;
  private wantRegistered = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private networkTimer: NodeJS.Timeout | undefined;
  private keepalive: OutboundKeepalive | NatKeepalive | undefined;
  private recoveryFailures = 0;
  private recovering = false;
  /** Counts abandoned registration attempts (see registerWithFailover). */
  private registerAttempt = 0;
  /** Set while a recovery waits for its REGISTER: ends that wait when the new flow closes. */
  private recoveryFlowLost: (() => void) | undefined;
  private closing: Promise<CloseResult> | undefined;
  private builder: RequestBuilder | undefined;

  constructor(options: UserAgentOptions) {
    super();
    checkOptions(options);
    this.options = options;
    this.aorUri = sipUri(options.aor, 'the address of record');
    if (this.aorUri.user === undefined) throw new SipClientError('invalid-option', `the address of record "${options.aor}" has no user part`);
    this.aor = `${this.aorUri.scheme}:${this.aorUri.user}@${uriHost(this.aorUri)}${this.aorUri.port === undefined ? '' : `:${this.aorUri.port}`}`;
    if (options.server !== undefined) sipUri(options.server, 'the server');
    if (options.outboundProxy !== undefined) sipUri(options.outboundProxy, 'the outbound proxy');
    this.typing = new TypingIndicator(
      { refreshSeconds: options.typingRefreshSeconds ?? 90, idleMs: options.typingIdleMs ?? 15_000 },
      (to, body, type) => void this.sendMessage(to, body, type).catch(() => undefined),
      (from, state) => this.deliver('typing', { from, state }),
    );
  }

  /** Our Contact URI on the current flow (undefined before the first request). */
  get contact(): string | undefined {
    return this.flowNow === undefined ? undefined : this.builder?.contactUri();
  }

  /** Registers (resolving the server first); resolves once the registrar granted our Contact. */
  async register(): Promise<void> {
    const s = await this.start();
    this.wantRegistered = true;
    const result = await this.registerWithFailover(s, this.options.expires ?? 600);
    // Closed while the REGISTER was on its way: close() removes what it may have bound.
    if (this.closing !== undefined) throw new SipClientError('closed', 'the user agent was closed while registering');
    if (!isSuccess(result.outcome)) throw outcomeError(result.outcome, 'REGISTER');
    await this.registeredWith(s, result);
  }

  /** Removes our binding (REGISTER with Expires: 0 for our Contact only). */
  async unregister(): Promise<void> {
    this.wantRegistered = false;
    this.stopRegistrationTimers();
    if (this.starting === undefined) return;
    const s = await this.starting;
    if (s.registration.boundContact === undefined) return;
    const result = await s.registration.register(0);
    this.markUnregistered('requested');
    if (!isSuccess(result.outcome)) throw outcomeError(result.outcome, 'un-REGISTER');
  }

  /** MESSAGE (RFC 3428) to `to` (a SIP URI, or a user of our domain); resolves with the final status. */
  async sendMessage(to: string, body: string, contentType = 'text/plain'): Promise<SendResult> {
    const target = this.resolveBuddy(to);
    checkContentType(contentType);
    try {
      parseMediaType(contentType);
    } catch {
      throw new SipClientError('invalid-option', `content type "${contentType}" is not a MIME type such as text/plain`);
    }
    const s = await this.start();
    if (contentType !== 'application/im-iscomposing+xml') this.typing.messageSent(target);
    const outcome = await sendMessage(s.builder, s.sender, target, body, contentType);
    // RFC 3428 7: 200 delivered, 202 accepted for later delivery.
    const accepted = outcome.status === 200 || outcome.status === 202;
    return { status: outcome.status, reason: outcome.reason, accepted, ...(accepted ? {} : { error: outcomeError(outcome, 'MESSAGE') }) };
  }

  /** The local user is typing to `to` (call on each keystroke; RFC 3994 rate limits what is sent). */
  composing(to: string): void {
    this.typing.composing(this.resolveBuddy(to));
  }

  /** The local user stopped typing to `to`. */
  stopComposing(to: string): void {
    this.typing.stop(this.resolveBuddy(to));
  }

  /** PUBLISH our status (RFC 3903); kept fresh until close(). */
  async setPresence(setting: PresenceSetting): Promise<void> {
    checkPresenceSetting(setting);
    if (setting.activity !== undefined && !RPID_ACTIVITIES.has(setting.activity)) {
      throw new SipClientError('invalid-option', `activity "${setting.activity}" is not an RPID activity (RFC 4480 3.2: ${[...RPID_ACTIVITIES].join(', ')})`);
    }
    const s = await this.start();
    const outcome = await s.publisher.publish(setting);
    if (!isSuccess(outcome)) throw outcomeError(outcome, 'PUBLISH');
  }

  /** SUBSCRIBE to a buddy's presence; updates arrive as 'presence' events. */
  async subscribe(buddy: string): Promise<void> {
    (await this.start()).watcher.subscribe(this.resolveBuddy(buddy));
  }

  async unsubscribe(buddy: string): Promise<void> {
    if (this.starting === undefined) return;
    await (await this.starting).watcher.unsubscribe(this.resolveBuddy(buddy));
  }

  /** What we know of every buddy. */
  async buddies(): Promise<PresenceEvent[]> {
    return this.starting === undefined ? [] : (await this.starting).watcher.buddies;
  }

  /**
   * `bob` -> `sip:bob@<our domain>`, `bob@example.com` -> `sip:bob@example.com`; SIP URIs stay as
   * they are. Anything that does not make a SIP URI (`tel:+123`, `bob smith`), or a SIP URI with
   * headers (`sip:bob@example.com?Subject=hi`), is an invalid-option error here, instead of a
   * request the server must refuse or, worse, takes for another user.
   */
  resolveBuddy(name: string): string {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(name)?.[1];
    if (scheme !== undefined && !/^sips?$/i.test(scheme)) {
      throw new SipClientError('invalid-option', `"${name}" is not a sip: or sips: URI (nor a user name)`);
    }
    const uri = scheme !== undefined ? name : name.includes('@') ? `sip:${name}` : `sip:${name}@${this.aor.slice(this.aor.indexOf('@') + 1)}`;
    // RFC 3261 19.1.5: headers in a URI (`?Subject=hi`) are for building a request, never part of a
    // Request-URI, and we do not build requests from them.
    if (sipUri(uri, 'the address').headers.length > 0) {
      throw new SipClientError('invalid-option', `"${name}" has headers (the part after "?"), which a Request-URI cannot carry (RFC 3261 19.1.5)`);
    }
    return uri;
  }

  /**
   * Leaves cleanly: un-SUBSCRIBE every buddy, remove our publication (Expires: 0 with SIP-If-Match),
   * un-REGISTER our Contact, answering challenges on the way; gives up after `timeoutMs`
   * (default closeTimeoutMs, 2 s) when the server does not answer, and closes the sockets. A
   * REGISTER still in flight is waited for (half the time at most), then removed as well; a
   * SUBSCRIBE or PUBLISH in flight is waited for within the time, and what its 2xx made removed.
   * Resolves with the un-REGISTER's failure, if it failed: the binding then stays until it expires.
   */
  close(timeoutMs = this.options.closeTimeoutMs ?? 2000): Promise<CloseResult> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<CloseResult> {
    this.wantRegistered = false;
    this.stopRegistrationTimers();
    clearInterval(this.networkTimer);
    this.typing.close();
    if (this.starting === undefined) return {};
    let s: Started;
    try {
      s = await this.starting;
    } catch {
      return {};
    }
    s.publisher.stop();
    let unregistered: Outcome | undefined;
    let mayBeBound = false;
    const unregister = async (): Promise<void> => {
      await within(s.registration.settled(), timeoutMs / 2);
      mayBeBound = s.registration.mayBeBound;
      if (mayBeBound) unregistered = (await s.registration.register(0)).outcome;
    };
    await within(Promise.all([s.watcher.unsubscribeAll(), s.publisher.unpublish(), unregister()]), timeoutMs);
    s.watcher.stop();
    const result: CloseResult = {};
    if (mayBeBound) {
      if (unregistered !== undefined && isSuccess(unregistered)) this.markUnregistered('requested');
      else {
        result.error = unregistered !== undefined
          ? outcomeError(unregistered, 'un-REGISTER')
          : new SipClientError('unreachable', `un-REGISTER: no answer within ${timeoutMs} ms`);
        result.error.message += '; the binding stays until it expires';
      }
    }
    s.layer.close();
    await s.transport.close();
    // Freed only now: an un-REGISTER still being retransmitted would remove the next holder's binding.
    s.regIdLock?.release();
    return result;
  }

  private start(): Promise<Started> {
    if (this.closing !== undefined) return Promise.reject(new SipClientError('closed', 'the user agent is closed'));
    if (this.starting === undefined) {
      const starting = this.setUp();
      this.starting = starting;
      // A failed start (no DNS answer, no connection, no free port) is not kept: the next call
      // starts again, since the server may be up by then. setUp() closed what it had opened.
      starting.catch(() => {
        if (this.starting !== starting) return;
        this.starting = undefined;
        this.flowNow = undefined;
        this.udpListeners.clear();
      });
    }
    return this.starting;
  }

  private async setUp(): Promise<Started> {
    const o = this.options;
    const serverUri = sipUri(o.server ?? `sip:${this.aor.slice(this.aor.indexOf('@') + 1)}`, 'the server');
    const next = o.outboundProxy === undefined ? serverUri : sipUri(o.outboundProxy, 'the outbound proxy');
    const targets = await resolveServer(next, o.transport, o.dns);
    const transport = new TransportManager({ tlsClient: o.tls });
    const layer = new TransactionLayer({ transport, ...o.timers });
    transport.on('message', (message, source) => layer.receive(message, source));
    transport.on('connection-closed', (source) => {
      if (source.connectionId !== undefined) layer.connectionClosed(source.connectionId);
      this.connectionClosed(source);
    });
    // RFC 3261 8.1.2 / 16.12: the outbound proxy as a loose-routing pre-loaded Route.
    // A mapped host (`sip:[::ffff:127.0.0.1]:5060`) is written as the IPv4 address it carries.
    const outboundRoute = o.outboundProxy === undefined ? undefined : `<${routeText(o.outboundProxy, next)}${next.params.has('lr') ? '' : ';lr'}>`;
    const identity = { aor: this.aor, user: this.aorUri.user as string, displayName: o.displayName, userAgent: o.userAgent ?? DEFAULT_USER_AGENT };
    const builder = new RequestBuilder(identity, () => this.flow(), outboundRoute);
    this.builder = builder;
    const username = o.username ?? decodeURIComponent(this.aorUri.user as string);
    const sender = new AuthenticatingSender(layer, o.password === undefined ? undefined : { username, password: o.password }, () => this.flow().sendTarget);
    const outbound = o.outbound ?? true;
    const stateDir = o.stateDir ?? defaultStateDir();
    // RFC 5626 4.2: UAs of this AOR sharing the state directory are one instance: a reg-id each.
    const regIdLock = outbound ? new RegIdLock(stateDir, this.aor) : undefined;
    const registration = new Registration(builder, sender, {
      registrarUri: `${serverUri.scheme}:${this.aor.slice(this.aor.indexOf('@') + 1)}`,
      instanceId: outbound ? loadInstanceId(stateDir) : undefined,
      regId: regIdLock === undefined ? undefined : () => regIdLock.take(),
    });
    const backoff = o.backoff ?? DEFAULT_BACKOFF;
    const expires = o.presenceExpires ?? 600;
    const publisher = new PresencePublisher(builder, sender, expires, (outcome) => this.report(outcomeError(outcome, 'PUBLISH refresh')));
    const watcher = new PresenceWatcher(builder, sender, { expires, backoff, finalNotifyWaitMs: transactionTimeout(layer.settings) },
      (event) => this.deliver('presence', event));
    const s: Started = { transport, layer, targets, builder, sender, registration, regIdLock, publisher, watcher };
    layer.on('request', (tx, request) => answerRequest(tx, request, {
      user: identity.user,
      message: (r) => this.incomingMessage(r),
      notify: (r) => watcher.receiveNotify(r),
    }, identity.userAgent));
    // RFC 3261 9.2: a CANCEL for nothing we know is 481; we never keep an INVITE pending (405 at once).
    layer.on('cancel', (tx, _invite, cancel) => tx.respond(createCancelAnswer(cancel)));
    try {
      await this.bindLocal(s);
      await this.openFirstFlow(s);
    } catch (err) {
      layer.close();
      await transport.close();
      throw err;
    }
    this.watchNetwork(s);
    return s;
  }

  private flow(): Flow {
    if (this.flowNow === undefined) throw new SipClientError('closed', 'no flow to the server');
    return this.flowNow;
  }

  /**
   * One UDP socket per address family among the targets, on the address the kernel routes toward
   * the first target of that family: IPv4 servers get IPv4, IPv6 servers IPv6, both when both are
   * needed; never a wildcard or IPv4-mapped address in what we write.
   */
  private async bindLocal(s: Started): Promise<void> {
    for (const family of [6, 4] as const) {
      const first = s.targets.find((t) => t.protocol === 'udp' && t.family === family);
      if (first !== undefined) await this.udpListenerToward(s, first);
    }
  }

  private async udpListenerToward(s: Started, target: ServerTarget): Promise<{ listener: ListenerInfo; address: string }> {
    const address = await this.routedAddress(target.address, target.family, target.port);
    let listener = this.udpListeners.get(address);
    if (listener === undefined) {
      listener = await bindUdpInRange(s.transport, address, this.options.localPorts ?? DEFAULT_PORT_RANGE);
      this.udpListeners.set(address, listener);
    }
    return { listener, address };
  }

  /**
   * RFC 3261 18.1.1: the local address toward a server address (the option, else the kernel's route).
   * The option's answer is checked: a mapped address becomes IPv4, a wildcard or a name is an
   * invalid-option error (option-checks.ts), since Via and Contact carry it.
   */
  private async routedAddress(remote: string, family: 4 | 6, port: number): Promise<string> {
    const given = this.options.localAddressFor;
    if (given === undefined) return routedLocalAddress(remote, family, port);
    return checkLocalAddress(await given(remote, family, port), remote);
  }

  private async flowTo(s: Started, target: ServerTarget): Promise<Flow> {
    if (target.protocol !== 'udp') return openFlow(s.transport, target, { wsPath: this.options.wsPath });
    const { listener, address } = await this.udpListenerToward(s, target);
    return openFlow(s.transport, target, { udpListener: listener, localAddress: address });
  }

  /** RFC 3263 4.3: the first target that takes a flow. */
  private async openFirstFlow(s: Started, from = 0): Promise<void> {
    let lastError: unknown;
    for (let i = from; i < s.targets.length; i++) {
      try {
        this.flowNow = await this.flowTo(s, s.targets[i]);
        this.targetIndex = i;
        return;
      } catch (err) {
        lastError = err;
      }
    }
    throw new SipClientError('unreachable', `cannot open a flow to any server target: ${(lastError as Error)?.message ?? 'none'}`, 503, { cause: lastError });
  }

  /** REGISTER on the current flow; on no answer at all, the next target (RFC 3263 4.3). */
  private async registerWithFailover(s: Started, expires: number): Promise<RegisterResult> {
    const attempt = this.registerAttempt;
    for (;;) {
      const result = await s.registration.register(expires);
      // An attempt given up meanwhile (its flow closed, a newer one began) must not move the flow.
      if (attempt !== this.registerAttempt) return result;
      if (!isUnreachable(result.outcome) || this.targetIndex + 1 >= s.targets.length || this.closing !== undefined) return result;
      s.sender.reset();
      try {
        await this.openFirstFlow(s, this.targetIndex + 1);
      } catch {
        return result;
      }
    }
  }

  private async registeredWith(s: Started, result: RegisterResult): Promise<void> {
    const flow = this.flow();
    const seen = result.seenFrom;
    const current = s.builder.publicEndpoint ?? flow.local;
    // RFC 3581 4 / RFC 5626 4.3: the server saw another address (NAT): register the Contact it can reach.
    if (flow.target.protocol === 'udp' && seen !== undefined && (seen.address !== current.address || seen.port !== current.port)) {
      s.builder.publicEndpoint = seen.address === flow.local.address && seen.port === flow.local.port ? undefined : seen;
      const again = await s.registration.register(this.options.expires ?? 600);
      if (isSuccess(again.outcome)) result = again;
    }
    if (this.closing !== undefined) return; // closed meanwhile: no timers, no keepalives
    const granted = result.granted ?? this.options.expires ?? 600;
    this.stopRegistrationTimers();
    this.refreshTimer = later(refreshDelayMs(granted), () => void this.refresh(s));
    if (this.options.outbound ?? true) {
      this.keepalive = result.outbound === true
        ? new OutboundKeepalive(s.transport, flow, {
          intervalMs: this.options.keepaliveIntervalMs, timeoutMs: this.options.keepaliveTimeoutMs ?? 10_000,
        }, result.flowTimer, {
          dead: (why) => this.flowDied(s, why),
          moved: (before, now) => this.natRebound(s, before, now),
        }, result.seenFrom)
        // RFC 5626 4.2.1, 4.4: no outbound flow granted: keep the NAT binding open, detect nothing.
        : new NatKeepalive(s.transport, flow, this.options.keepaliveIntervalMs, result.flowTimer);
    }
    this.recoveryFailures = 0;
    this.registered = true;
    const contact = s.builder.contactUri();
    // RFC 6665 4.1.2.1 / RFC 5626 4.2: a new Contact (a recovered flow, a NAT rebinding): our
    // subscriptions' notifiers learn it now, by a target refresh in each dialog.
    s.watcher.contactChanged(contact);
    this.deliver('registered', { aor: this.aor, contact, expires: granted });
  }

  private async refresh(s: Started): Promise<void> {
    if (!this.wantRegistered || this.closing !== undefined) return;
    const result = await this.registerWithFailover(s, this.options.expires ?? 600);
    if (isSuccess(result.outcome)) return this.registeredWith(s, result);
    this.report(outcomeError(result.outcome, 'REGISTER refresh'));
    this.markUnregistered('failed');
    this.scheduleRecovery(s);
  }

  /** RFC 5626 4.5: a dead flow: a new flow and a new REGISTER, with backoff between failed attempts. */
  private flowDied(s: Started, why: string): void {
    if (!this.wantRegistered || this.closing !== undefined || this.recovering) return;
    this.stopRegistrationTimers();
    this.markUnregistered('failed');
    this.report(new SipClientError('unreachable', `flow to the server failed (${why}); registering again`));
    void this.recover(s);
  }

  /**
   * RFC 5626 4.4.2: the STUN answer maps the flow to another public address: the NAT dropped our
   * binding and made a new one, so the registered Contact is dead. Register again at once with the
   * new address as Contact (the old one is removed in the same REGISTER).
   */
  private natRebound(s: Started, before: MappedAddress, now: MappedAddress): void {
    const local = this.flowNow?.local;
    s.builder.publicEndpoint = local !== undefined && local.address === now.address && local.port === now.port ? undefined : now;
    this.flowDied(s, `the NAT binding moved from ${formatHostPort(before.address, before.port)} to ${formatHostPort(now.address, now.port)}`);
  }

  /**
   * The next try after a backoff. This timer keeps the process alive: over TCP nothing else may be
   * left open while the server is away, and a UA that wants to be registered must not end quietly
   * in the middle of its recovery (close() stops it).
   */
  private scheduleRecovery(s: Started): void {
    const delay = backoffDelay(this.options.backoff ?? DEFAULT_BACKOFF, this.recoveryFailures++);
    this.refreshTimer = setTimeout(() => void this.recover(s), delay);
  }

  private async recover(s: Started): Promise<void> {
    if (!this.wantRegistered || this.closing !== undefined) return;
    this.recovering = true;
    try {
      s.sender.reset();
      // RFC 5626 4.5: a new flow, not the failed one: a stream connection is closed, so the new flow
      // (and its REGISTER) goes over a new connection instead of the open one to the same server.
      const failed = this.flowNow?.connectionId;
      if (failed !== undefined) s.transport.closeConnection(failed);
      await this.openFirstFlow(s, 0);
      // A flow that closes before the REGISTER is answered (a server restarting: the dying process
      // took the connection) will never carry the answer: give up on it at once, not after Timer F.
      const lost = new Promise<RegisterResult>((resolve) => {
        this.recoveryFlowLost = () => {
          this.registerAttempt++;
          resolve({ outcome: { status: 503, reason: 'Service Unavailable (the connection closed)', local: 'transport-error' } });
        };
      });
      const result = await Promise.race([this.registerWithFailover(s, this.options.expires ?? 600), lost]);
      this.recoveryFlowLost = undefined;
      if (isSuccess(result.outcome)) await this.registeredWith(s, result);
      else this.scheduleRecovery(s);
    } catch {
      this.scheduleRecovery(s);
    } finally {
      this.recoveryFlowLost = undefined;
      this.recovering = false;
    }
  }

  private connectionClosed(source: SocketIdentity): void {
    const flow = this.flowNow;
    if (flow?.connectionId === undefined || source.connectionId !== flow.connectionId || this.starting === undefined) return;
    this.recoveryFlowLost?.();
    void this.starting.then((s) => this.flowDied(s, 'the connection closed'), () => undefined);
  }

  /** A network change moves the route toward the server to another local address: rebind and register again. */
  private watchNetwork(s: Started): void {
    const every = this.options.networkCheckIntervalMs ?? 10_000;
    if (every <= 0) return;
    this.networkTimer = setInterval(() => void this.checkRoute(s), every);
    this.networkTimer.unref();
  }

  private async checkRoute(s: Started): Promise<void> {
    const flow = this.flowNow;
    if (flow === undefined || flow.target.protocol !== 'udp' || this.recovering || this.closing !== undefined) return;
    let now: string;
    try {
      now = await this.routedAddress(flow.target.address, flow.target.family, flow.target.port);
    } catch (err) {
      // A localAddressFor answer we cannot write (a wildcard, a name): said, and the flow kept.
      if (err instanceof SipClientError && err.code === 'invalid-option') this.report(err);
      return;
    }
    if (now === flow.local.address) return;
    s.builder.publicEndpoint = undefined;
    this.keepalive?.stop();
    if (this.wantRegistered) this.flowDied(s, `the local address toward the server changed from ${flow.local.address} to ${now}`);
    else await this.openFirstFlow(s, this.targetIndex).catch(() => undefined);
  }

  private incomingMessage(request: SipMessage): { status: number; headers?: Array<[string, string]> } {
    const verdict = classifyMessage(request);
    switch (verdict.kind) {
      case 'unsupported':
        return unsupportedMedia();
      case 'is-composing':
        try {
          this.typing.received(verdict.from, verdict.body);
          return { status: 200 };
        } catch {
          return { status: 400 };
        }
      case 'message':
        this.typing.messageReceived(verdict.message.from);
        this.deliver('message', verdict.message);
        return { status: 200 };
    }
  }

  private stopRegistrationTimers(): void {
    clearTimeout(this.refreshTimer);
    this.keepalive?.stop();
    this.keepalive = undefined;
  }

  private markUnregistered(reason: 'requested' | 'failed'): void {
    if (!this.registered) return;
    this.registered = false;
    this.deliver('unregistered', { aor: this.aor, reason });
  }

  /** 'error' events only when someone listens: a library must not crash a process over a failed refresh. */
  private report(error: SipClientError): void {
    if (this.listenerCount('error') > 0) this.deliver('error', error);
  }

  /**
   * Every event reaches the application through here. A listener that throws cannot leave a request
   * unanswered (a MESSAGE would come again, an unanswered NOTIFY end the subscription) nor change
   * what a method resolves with: its exception is thrown again on the next tick, an uncaught
   * exception as from any EventEmitter whose listener throws, once our own work is done.
   */
  private deliver<K extends keyof UserAgentEvents>(event: K, ...args: UserAgentEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: UserAgentEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }
}

function createCancelAnswer(request: SipMessage): SipMessage {
  return createResponse(request, 481);
}

/**
 * The host of a URI as we write it: an IPv4-mapped IPv6 host (`[::ffff:127.0.0.1]`) is the IPv4
 * address it carries (README: no `::ffff:` in SIP), so the REGISTER Request-URI (RFC 3261 10.2: the
 * AOR's domain), From and To name `127.0.0.1`, the realm the registrar challenges with.
 */
function uriHost(uri: SipUri): string {
  return uri.hostKind === 'ipv6' ? displayHost(uri.host) : uri.host;
}

/** The outbound proxy URI as given, unless its host is IPv4-mapped: then with the IPv4 host (README: no `::ffff:` in SIP). */
function routeText(text: string, uri: SipUri): string {
  const host = uriHost(uri);
  // The only brackets a SIP URI can hold are those of its IPv6 host (RFC 3261 25.1).
  return uri.hostKind !== 'ipv6' || host.startsWith('[') ? text : text.replace(/\[[^\]]*\]/, host);
}
