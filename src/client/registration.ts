// REGISTER (RFC 3261 10.2) with RFC 5626 outbound: one Call-ID and increasing CSeq for every
// refresh (10.2.4), +sip.instance and reg-id in the Contact (5626 4.2), and what the 200 OK says:
// the expiry granted to our Contact, the Flow-Timer, and our public address (RFC 3581 received/rport).
import { newCallId, newTag } from '../sip/builder.js';
import type { SipMessage } from '../sip/message.js';
import { parseUri, type SipUri } from '../sip/uri.js';
import { uriEquals } from '../sip/uri-equals.js';
import { normalizeAddress } from '../transport/address.js';
import type { AuthenticatingSender } from './auth-retry.js';
import { isSuccess, type Outcome } from './outcome.js';
import type { RequestBuilder } from './request-builder.js';

/** What this UA answers (RFC 3261 20.5), sent in REGISTER so the registrar can tell (RFC 3840 not used). */
export const ALLOW = 'MESSAGE, NOTIFY, OPTIONS';

export interface RegisterResult {
  outcome: Outcome;
  /** Seconds the registrar granted our Contact (its expires parameter, else Expires, RFC 3261 10.2.4). */
  granted?: number;
  /** RFC 5626 4.4.1 / 5.4: the registrar's Flow-Timer, in seconds. */
  flowTimer?: number;
  /** RFC 3581: where our request came from as the server saw it. */
  seenFrom?: { address: string; port: number };
  /** RFC 5626 4.2.1: the 2xx has `outbound` in Require: the registrar keeps our flow. */
  outbound?: boolean;
}

export interface RegistrationOptions {
  registrarUri: string;
  /** `urn:uuid:...` (RFC 5626 4.1); undefined when outbound is off. */
  instanceId?: string;
  /** RFC 5626 4.2: this flow's reg-id, asked for at the first REGISTER adding a binding; default 1. */
  regId?: () => number;
}

export class Registration {
  readonly callId = newCallId();
  private readonly fromTag = newTag();
  private cseq = 0;
  /** The Contact URI of our live binding, so a changed one (NAT, new flow) replaces it. */
  private bound: string | undefined;
  /** REGISTERs adding a binding that have no final answer yet, and the promise of the last one. */
  private pending = 0;
  private lastPending: Promise<unknown> = Promise.resolve();
  /** The last REGISTER adding a binding got no answer at all: the registrar may hold it anyway. */
  private unanswered = false;
  private regId: number | undefined;

  constructor(
    private readonly builder: RequestBuilder,
    private readonly sender: AuthenticatingSender,
    private readonly options: RegistrationOptions,
  ) {}

  get boundContact(): string | undefined {
    return this.bound;
  }

  /**
   * Whether the registrar may hold a binding of ours: one it granted, or one a REGISTER still in
   * flight (or never answered) may have created. Leaving must remove it in either case: a client
   * signalled while its first REGISTER crosses a slow link would otherwise leave it behind.
   */
  get mayBeBound(): boolean {
    return this.bound !== undefined || this.pending > 0 || this.unanswered;
  }

  /** Resolves once no REGISTER adding a binding is waiting for its answer. */
  settled(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : this.lastPending.then(() => this.settled());
  }

  /** One REGISTER for our Contact (`expires` 0 removes it); follows 423 once (RFC 3261 10.2.8). */
  register(expires: number): Promise<RegisterResult> {
    if (expires === 0) return this.registerOnce(0);
    this.pending++;
    const done = this.registerOnce(expires).then((result) => {
      this.unanswered = result.outcome.local !== undefined;
      return result;
    }).finally(() => { this.pending--; });
    this.lastPending = done.catch(() => undefined);
    return done;
  }

  private async registerOnce(expires: number): Promise<RegisterResult> {
    let result = await this.send(expires);
    const minExpires = result.outcome.response?.minExpires();
    if (result.outcome.status === 423 && minExpires !== undefined && minExpires > expires) result = await this.send(minExpires);
    return result;
  }

  private async send(expires: number): Promise<RegisterResult> {
    const contact = this.builder.contactUri();
    let outbound = '';
    if (this.options.instanceId !== undefined) {
      this.regId ??= this.options.regId?.() ?? 1;
      outbound = `;+sip.instance="<${this.options.instanceId}>";reg-id=${this.regId}`;
    }
    const values = [`<${contact}>${outbound}`];
    // A Contact that changed since the last REGISTER (NAT rebinding, new flow) is removed in the same request.
    const stale = this.bound !== undefined && this.bound !== contact && expires > 0 ? this.bound : undefined;
    if (stale !== undefined) values.push(`<${stale}>;expires=0`);
    const headers: Array<[string, string]> = [['Contact', values.join(', ')], ['Expires', String(expires)], ['Allow', ALLOW]];
    // RFC 5626 4.2.1: Supported: outbound with the instance and reg-id; path lets an edge proxy add Path (RFC 3327).
    if (this.options.instanceId !== undefined) headers.push(['Supported', 'path, outbound']);
    const request = this.builder.build({
      method: 'REGISTER', uri: this.options.registrarUri, to: `<${this.builder.identity.aor}>`,
      fromTag: this.fromTag, callId: this.callId, cseq: ++this.cseq, contact: false, headers,
    });
    const outcome = await this.sender.send(request, () => ++this.cseq);
    if (!isSuccess(outcome)) return { outcome };
    const response = outcome.response as SipMessage;
    this.bound = expires > 0 ? contact : undefined;
    if (expires === 0) this.unanswered = false;
    const flowTimer = Number(response.header('flow-timer'));
    return {
      outcome,
      granted: expires === 0 ? 0 : grantedExpiry(response, contact, this.options.instanceId, this.regId, expires),
      flowTimer: Number.isInteger(flowTimer) && flowTimer > 0 ? flowTimer : undefined,
      seenFrom: seenFrom(response),
      outbound: requiresOutbound(response),
    };
  }
}

/** RFC 5626 4.2.1: `Require: outbound` in the 2xx; a malformed Require grants nothing. */
function requiresOutbound(response: SipMessage): boolean {
  try {
    return response.require().some((tag) => tag.toLowerCase() === 'outbound');
  } catch {
    return false;
  }
}

/** RFC 3261 10.2.4: our Contact's expires parameter in the 200, else its Expires header, else what we asked. */
function grantedExpiry(response: SipMessage, contact: string, instanceId: string | undefined, regId: number | undefined, requested: number): number {
  const ours = parseUri(contact) as SipUri;
  const contacts = response.contacts();
  if (contacts !== '*') {
    for (const c of contacts) {
      // RFC 5626 6: our binding is the instance's with our reg-id; another reg-id is another flow of ours.
      const same = (instanceId !== undefined && c.instance === `<${instanceId}>` && c.regId === regId) || uriEquals(c.uri, ours);
      if (same && c.expires !== undefined) return c.expires;
    }
  }
  return response.expires() ?? requested;
}

/** RFC 3581 4: received and rport of our Via in the response. */
function seenFrom(response: SipMessage): { address: string; port: number } | undefined {
  const via = response.topVia();
  if (via === undefined || typeof via.rport !== 'number') return undefined;
  return { address: normalizeAddress(via.received ?? via.host), port: via.rport };
}
