// RFC 3261 10.3 steps 5-8 for one REGISTER that passed the checks before it (Request-URI domain,
// Require, authentication and authorization: src/server): validate the contacts, compute every change
// first, and only when the whole request is acceptable apply it, so a refused REGISTER changes nothing.
import type { Contact } from '../sip/headers/contact.js';
import { parseNameAddr } from '../sip/name-addr.js';
import type { SipMessage } from '../sip/message.js';
import { formatUri, isSipUri, parseUri } from '../sip/uri.js';
import { uriEquals } from '../sip/uri-equals.js';
import type { BindingRecord } from '../store/types.js';
import type { SocketIdentity } from '../transport/types.js';
import { aorOf } from './binding-key.js';
import { buildBinding, buildUpdate, refreshesInPlace, type BindingInput } from './binding-record.js';
import { ownCopy, StringPool } from './intern.js';
import type { BindingOp, LocationService } from './location-service.js';
import { refused, registered, type RegisterAnswer } from './register-response.js';

export interface RegistrarSettings {
  /** Shortest interval accepted; shorter (but not 0) gets 423 with Min-Expires (RFC 3261 10.3 step 7). */
  minExpires: number;
  /** Longest interval granted; longer requests are shortened to it (RFC 3261 10.2.1). */
  maxExpires: number;
  /** Interval of a contact with neither an expires parameter nor an Expires header. */
  defaultExpires: number;
  /** Bindings one AOR may have; a REGISTER that would exceed it is refused with 403. */
  maxContacts: number;
}

export const DEFAULT_REGISTRAR_SETTINGS: Readonly<RegistrarSettings> = {
  minExpires: 60,
  maxExpires: 3600,
  defaultExpires: 3600,
  maxContacts: 10,
};

type Plan = { ops: BindingOp[]; outbound: boolean } | RegisterAnswer;

/**
 * More bindings than `--max-contacts` allows, even without those whose flow is closed: 403, since
 * trying again later cannot help.
 */
function tooManyContacts(maxContacts: number): RegisterAnswer {
  return refused(403, 'Forbidden', `too many contacts: at most ${maxContacts} per address-of-record`);
}

/**
 * The `count` oldest bindings of `current` whose RFC 5626 flow is closed (flag `flow-closed`), other
 * than those this REGISTER refreshes; undefined when there are fewer. Such a binding reaches nobody
 * (requests for it get 430, RFC 5626 5.3) and its UA, were it still there, would register the flow
 * again rather than wait for it: a browser tab that was reloaded registers a new +sip.instance each
 * time, and its old flows would otherwise fill the AOR until they expire.
 */
function closedFlowsToEvict(current: readonly BindingRecord[], ops: ReadonlyArray<BindingOp | undefined>, count: number): BindingRecord[] | undefined {
  const refreshed = new Set<BindingRecord>();
  for (const op of ops) if (op?.kind === 'refresh') refreshed.add(op.binding);
  const closed = current.filter((b) => b.flags.includes('flow-closed') && !refreshed.has(b));
  if (closed.length < count) return undefined;
  return closed.sort((a, b) => a.lastModified - b.lastModified).slice(0, count);
}

/**
 * RFC 5626 6: a UA asks for an outbound flow (reg-id, `Supported: outbound`) through an edge proxy
 * whose Path entry has no `ob`: that proxy cannot keep the flow, so the registration is refused
 * (439) rather than granted as a flow nobody maintains (the UA would send keepalives nobody answers).
 */
function firstHopLacksOutbound(path: readonly string[]): boolean {
  if (path.length === 0) return false;
  const first = parseNameAddr(path[0]).uri;
  return !isSipUri(first) || !first.params.has('ob');
}

function outOfOrder(cseq: number, stored: number): RegisterAnswer {
  return refused(400, 'Bad Request', `CSeq ${cseq} is not higher than ${stored}, already seen with this Call-ID`);
}

export class Registrar {
  private readonly pool = new StringPool();

  constructor(private readonly location: LocationService, private readonly settings: RegistrarSettings) {}

  /**
   * The answer to one REGISTER, once its change is durable. Without an async function: a REGISTER
   * already costs a promise for its commit, and none more is needed around it.
   */
  register(request: SipMessage, source: SocketIdentity): Promise<RegisterAnswer> {
    try {
      const to = request.to().uri;
      if (!isSipUri(to)) return Promise.resolve(refused(400, 'Bad Request', 'To is not a SIP or SIPS address-of-record'));
      const aor = this.keptAor(aorOf(to));
      const contacts = request.contacts();
      const path = request.headerValues('path');
      const plan = contacts === '*' ? this.planRemoveAll(request, aor) : this.planContacts(request, source, aor, contacts, path);
      if (!('ops' in plan)) return Promise.resolve(plan);
      return this.location.apply(plan.ops).then(() =>
        registered(this.location.lookup(aor), this.location.now(), { path, outbound: plan.outbound }));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The AOR as a flat string kept with the bindings: the one they already hold when it has some. */
  private keptAor(aor: string): string {
    const stored = this.location.bindingsOf(aor);
    return stored.length > 0 ? stored[0].aor : ownCopy(aor);
  }

  /** RFC 3261 10.3 step 6: `Contact: *` with `Expires: 0` removes every binding of the AOR. */
  private planRemoveAll(request: SipMessage, aor: string): Plan {
    if (request.expires() !== 0) return refused(400, 'Bad Request', 'Contact: * needs Expires: 0');
    const callId = request.callId();
    const cseq = request.cseq().seq;
    const ops: BindingOp[] = [];
    for (const b of this.location.bindingsOf(aor)) {
      // Step 6 applies step 7's ordering rule to each binding: an older request changes nothing.
      if (b.callId === callId && cseq <= b.cseq) return outOfOrder(cseq, b.cseq);
      ops.push({ kind: 'remove', binding: b, reason: 'unregistered' });
    }
    return { ops, outbound: false };
  }

  /** RFC 3261 10.3 step 7, contact by contact; any failure aborts the whole request. */
  private planContacts(request: SipMessage, source: SocketIdentity, aor: string, contacts: Contact[], path: string[]): Plan {
    const { minExpires, maxExpires, defaultExpires, maxContacts } = this.settings;
    const now = this.location.now();
    const callId = request.callId();
    const cseq = request.cseq().seq;
    const headerExpires = request.expires();
    const userAgent = request.header('user-agent');
    const outboundSupported = contacts.some((c) => c.regId !== undefined) && request.supported().includes('outbound');
    if (outboundSupported && contacts.some((c) => c.instance !== undefined && c.regId !== undefined) && firstHopLacksOutbound(path)) {
      return refused(439, 'First Hop Lacks Outbound Support', 'the proxy that added the first Path entry does not support outbound (no ;ob)');
    }
    const stored = this.location.bindingsOf(aor);
    // More contacts than could fit even if every stored binding went: refused before matching them,
    // which costs one comparison per contact and binding (a 64 KB REGISTER holds thousands).
    if (contacts.length > maxContacts + stored.length) {
      return tooManyContacts(maxContacts);
    }
    /** The AOR's bindings as they will be once this request is applied. */
    const current: BindingRecord[] = [...stored];
    /** Op index of each binding made by this request (a contact listed twice: the last one wins); made for a second contact. */
    let made: Map<BindingRecord, number> | undefined;
    const ops: Array<BindingOp | undefined> = [];
    let dropped = false;
    let outbound = false;

    for (const contact of contacts) {
      let expires = contact.expires ?? headerExpires ?? defaultExpires;
      if (expires > 0 && expires < minExpires) {
        return refused(423, 'Interval Too Brief', `expires ${expires} is below ${minExpires}`, [['Min-Expires', String(minExpires)]]);
      }
      expires = Math.min(expires, maxExpires);
      const contactText = formatUri(contact.uri);
      const existing = findBinding(current, contact, contactText);
      const earlier = existing === undefined || made === undefined ? undefined : made.get(existing);
      if (existing !== undefined && earlier === undefined && existing.callId === callId && cseq <= existing.cseq) {
        return outOfOrder(cseq, existing.cseq);
      }
      // The stored binding this contact replaces; a contact listed twice: the last one wins.
      let original = existing;
      if (earlier !== undefined) {
        original = previousOf(ops[earlier]);
        ops[earlier] = undefined;
        dropped = true;
      }
      if (existing !== undefined) current.splice(current.indexOf(existing), 1);

      if (expires === 0) {
        if (original !== undefined) ops.push({ kind: 'remove', binding: original, reason: 'unregistered' });
        continue;
      }
      const flow = outboundSupported && contact.instance !== undefined && contact.regId !== undefined;
      outbound ||= flow;
      const input: BindingInput = {
        aor, contact, expiresAt: now + expires * 1000, callId, cseq, userAgent, source, path, outbound: flow, now, previous: original, contactText,
      };
      // Nearly every REGISTER refreshes a binding as it is: planned as new values for the stored
      // binding, applied in place (location-service.ts refresh), which stands for itself in `current`.
      if (original !== undefined && refreshesInPlace(input, original)) {
        if (contacts.length > 1) (made ??= new Map()).set(original, ops.length);
        ops.push({ kind: 'refresh', binding: original, update: buildUpdate(input, original, this.pool), reason: 'refreshed' });
        current.push(original);
        continue;
      }
      const binding = buildBinding(input, this.pool);
      const reason = original === undefined ? 'registered' : original.contact === binding.contact ? 'refreshed' : 'replaced';
      if (contacts.length > 1) (made ??= new Map()).set(binding, ops.length);
      ops.push({ kind: 'put', binding, previous: original, reason });
      current.push(binding);
    }

    if (current.length > maxContacts && current.length > stored.length) {
      // Room made from closed flows, only as much as the request needs (an AOR already above a
      // lowered limit need only not grow).
      const evicted = closedFlowsToEvict(current, ops, current.length - Math.max(maxContacts, stored.length));
      if (evicted === undefined) return tooManyContacts(maxContacts);
      for (const binding of evicted) ops.push({ kind: 'remove', binding, reason: 'connection-closed' });
    }
    return { ops: dropped ? ops.filter((op): op is BindingOp => op !== undefined) : ops as BindingOp[], outbound };
  }
}

/**
 * The binding a contact refers to: by +sip.instance and reg-id when it has an instance (RFC 5626 6,
 * RFC 5627), else by URI equality of the contact (RFC 3261 10.3 step 7 and 19.1.4), a binding without
 * an instance first (one with an instance and the same URI is matched only when there is none).
 */
function findBinding(bindings: readonly BindingRecord[], contact: Contact, contactText: string): BindingRecord | undefined {
  if (contact.instance !== undefined) {
    return bindings.find((b) => b.instance === contact.instance && b.regId === contact.regId);
  }
  // Stored contacts are formatUri() text too: the same text is the same URI (a refresh, nearly
  // always) without parsing the stored one; another text may still be an equal URI (case, escapes).
  const same = (b: BindingRecord): boolean => b.contact === contactText || uriEquals(parseUri(b.contact), contact.uri);
  let withInstance: BindingRecord | undefined;
  for (const b of bindings) {
    if (!same(b)) continue;
    if (b.instance === undefined) return b;
    withInstance ??= b;
  }
  return withInstance;
}

/** The stored binding an op of this request changes (a refresh changes its own binding). */
function previousOf(op: BindingOp | undefined): BindingRecord | undefined {
  if (op?.kind === 'put') return op.previous;
  return op?.kind === 'refresh' ? op.binding : undefined;
}
