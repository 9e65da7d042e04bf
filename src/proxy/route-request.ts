// RFC 3261 16.3 (request validation as a proxy) and 16.5 (target set): where a request that is not
// for the server itself goes. Requests for a user of ours go to her bindings (RFC 3261 16.5 and 10:
// the location service); requests for a registered contact go where that contact registered from;
// requests with a route set left after 16.4 follow it; others are resolved by RFC 3263.
import type { LocationService } from '../registrar/location-service.js';
import { aorOf } from '../registrar/binding-key.js';
import type { SipMessage } from '../sip/message.js';
import { parseNameAddr } from '../sip/name-addr.js';
import type { BindingRecord } from '../store/types.js';
import { normalizeEscapes } from '../sip/uri-equals.js';
import { isSipUri, parseUri, formatHostPort, type SipUri } from '../sip/uri.js';
import { displayHost } from '../transport/address.js';
import type { ContactIndex } from './contact-index.js';
import type { FlowState } from './flow-state.js';
import { isLoop, loopHash } from './forward-request.js';
import { branchTarget, type BranchTarget } from './target-set.js';

/** What a request is addressed to, once 16.4 removed our own Route entries. */
export type RequestKind =
  /** The server itself (a Request-URI of ours without user part): OPTIONS ping, REGISTER, PUBLISH to the domain. */
  | 'self'
  /** A user of a domain we serve. */
  | 'user'
  /** A registered contact of one of our users. */
  | 'contact'
  /** A Route header remains: the request follows its route set. */
  | 'route'
  /** Anything else: a domain we do not serve. */
  | 'foreign';

export type RouteDecision =
  | { kind: 'reject'; status: number; reason: string; headers?: Array<[string, string]>; offline?: { aor: string } }
  | { kind: 'fork'; targets: BranchTarget[]; aor?: string };

export interface RouterIdentity {
  isLocalDomain(host: string): boolean;
  isLocalUri(uri: SipUri): boolean;
}

export interface RouterOptions {
  location: LocationService;
  /** Whether a user record exists. */
  hasUser(username: string, domain: string): boolean;
  identity: RouterIdentity;
  contacts: ContactIndex;
  flows: FlowState;
}

/**
 * A binding we reach over TLS: requests go to the flow its REGISTER came over, or with a Path to the
 * first Path entry (RFC 3327 5), so that flow, or that entry's scheme and transport, decide.
 */
function reachedOverTls(binding: BindingRecord): boolean {
  if (binding.path.length > 0) {
    const first = parseNameAddr(binding.path[0]).uri;
    if (!isSipUri(first)) return false;
    const transport = first.params.get('transport')?.toLowerCase();
    return first.scheme === 'sips' || transport === 'tls' || transport === 'wss';
  }
  return binding.received.protocol === 'tls' || binding.received.protocol === 'wss';
}

export class RequestRouter {
  constructor(private readonly o: RouterOptions) {}

  classify(request: SipMessage): RequestKind {
    if (request.hasHeader('route')) return 'route';
    const uri = request.uri();
    if (!isSipUri(uri)) return 'foreign';
    if (this.o.identity.isLocalUri(uri)) return uri.user === undefined ? 'self' : 'user';
    return this.o.contacts.find(uri) !== undefined ? 'contact' : 'foreign';
  }

  /**
   * RFC 3261 16.3 steps 3-4 (483 at Max-Forwards 0, 482 for a loop), then 16.5: the targets.
   * A user of ours without bindings is `reject` 480 with `offline` (the MESSAGE policy stores instead);
   * an unknown one 404. With `--auth off` "unknown" means no user record and no binding.
   */
  decide(request: SipMessage, kind: RequestKind): RouteDecision {
    if (request.maxForwards() === 0) return { kind: 'reject', status: 483, reason: 'Too Many Hops' };
    if (isLoop(request, () => loopHash(request), (host, port) => this.isOwnSentBy(host, port))) {
      return { kind: 'reject', status: 482, reason: 'Loop Detected' };
    }
    const isOpen = (id: string): boolean => this.o.flows.isOpen(id);
    switch (kind) {
      case 'user': {
        const uri = request.uri() as SipUri;
        const aor = aorOf(uri);
        if (uri.scheme === 'sips') return this.sipsTargets(uri, aor, isOpen);
        const bindings = this.o.location.lookup(aor);
        if (bindings.length > 0) return { kind: 'fork', targets: bindings.map((b) => branchTarget(b, isOpen)), aor };
        const user = normalizeEscapes(uri.user ?? '');
        if (!this.o.hasUser(user, uri.host.toLowerCase())) return { kind: 'reject', status: 404, reason: `Not Found (no user ${aor})` };
        return { kind: 'reject', status: 480, reason: 'Temporarily Unavailable (not registered)', offline: { aor } };
      }
      case 'contact': {
        const binding = this.o.contacts.find(request.uri());
        if (binding === undefined) return { kind: 'reject', status: 404, reason: 'Not Found (contact no longer registered)' };
        // The Request-URI stays: it already is the contact (RFC 3261 16.5: the target is the URI itself).
        const t = branchTarget(binding, isOpen);
        return { kind: 'fork', targets: [{ ...t, requestUri: request.requestUri }] };
      }
      case 'route':
      case 'foreign':
        return { kind: 'fork', targets: [this.byUri(request)] };
      case 'self':
        return { kind: 'reject', status: 405, reason: 'Method Not Allowed' };
    }
  }

  /**
   * RFC 5630 3.1.3 and 5.3: a SIPS request goes over TLS to the very end, or not at all. sips:bob and
   * sip:bob are one user: his devices registered over TLS get it. With none, 480 and Warning 380; the
   * message is not stored either (no `offline`, no `aor` for the MESSAGE policy), since no later
   * delivery could promise TLS.
   */
  private sipsTargets(uri: SipUri, aor: string, isOpen: (id: string) => boolean): RouteDecision {
    const registered = [...this.o.location.lookup(aor), ...this.o.location.lookup(`sip:${aor.slice('sips:'.length)}`)];
    const secure = registered.filter(reachedOverTls);
    if (secure.length > 0) return { kind: 'fork', targets: secure.map((b) => branchTarget(b, isOpen)) };
    if (registered.length === 0 && !this.o.hasUser(normalizeEscapes(uri.user ?? ''), uri.host.toLowerCase())) {
      return { kind: 'reject', status: 404, reason: `Not Found (no user ${aor})` };
    }
    return {
      kind: 'reject', status: 480, reason: `Temporarily Unavailable (no device of ${aor} is registered over TLS)`,
      // RFC 3261 20.43 warn-agent is a hostport: a mapped host as its IPv4 address, never `::ffff:`.
      headers: [['Warning', `380 ${displayHost(uri.host)}${uri.port === undefined ? '' : `:${uri.port}`} "SIPS Not Allowed"`]],
    };
  }

  /** 16.6 steps 6-7: the top Route, else the Request-URI (strict routes are rewritten in each branch's copy). */
  private byUri(request: SipMessage): BranchTarget {
    const top = request.hasHeader('route') ? request.route()[0].uri : undefined;
    const uri = top !== undefined && isSipUri(top) ? top : (request.uri() as SipUri);
    return { routes: [], destination: { kind: 'resolve', uri } };
  }

  private isOwnSentBy(host: string, port: number | undefined): boolean {
    const uri = parseUri(`sip:${formatHostPort(host, port)}`);
    return isSipUri(uri) && this.o.identity.isLocalUri(uri);
  }
}
