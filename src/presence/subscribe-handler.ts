// SUBSCRIBE processing for the presence (RFC 3856) and presence.winfo (RFC 3857) packages, as the
// notifier of RFC 6665: initial subscriptions create a dialog, in-dialog ones refresh or end it.
// The 200 (RFC 6665 4.2.1.1: 202 is deprecated) is followed at once by a NOTIFY with the state.
import { aorOf, receivedOf } from '../registrar/binding-key.js';
import { ownCopy } from '../registrar/intern.js';
import { newTag } from '../sip/builder.js';
import type { MediaType } from '../sip/headers/media-type.js';
import type { SipMessage } from '../sip/message.js';
import { formatNameAddr, type NameAddr } from '../sip/name-addr.js';
import { formatUri, isSipUri } from '../sip/uri.js';
import type { SocketIdentity } from '../transport/types.js';
import { answer, type Answer } from './answer.js';
import { ALLOW_EVENTS, BODY_TYPE, WINFO_EVENT } from './event-packages.js';
import { decideExpires, type ExpiresLimits } from './expires-policy.js';
import { learnReachableAddress, reachableHostPort } from './local-address.js';
import { dialogId, Subscription, type SubscriptionTable } from './subscription-table.js';

export interface SubscribeContext {
  subscriptions: SubscriptionTable;
  limits: ExpiresLimits;
  now(): number;
  /** The Request-URI names a user of ours (RFC 3856 6.6: otherwise 404). */
  knownPresentity(aor: string): boolean;
  /** The refusal of one more subscription to `presentity` from `watcher` (watcher-limits.ts), or undefined. */
  overLimit(presentity: string, watcher: string): Answer | undefined;
  /** Send the current state to this subscription (after the 200). */
  notify(sub: Subscription): void;
  /**
   * An unsubscribe (RFC 6665 4.2.1.4): resolves once it is gone from the store (rejects, leaving it
   * as it was, when the store fails), with what to do once the 200 is sent (the last NOTIFY), or
   * undefined when something else ended it meanwhile (and sent that NOTIFY).
   */
  unsubscribe(sub: Subscription): Promise<(() => void) | undefined>;
  /** RFC 6665 4.4.3: one NOTIFY with the state, terminated, for a subscription that never lived. */
  fetch(sub: Subscription): void;
  /** A subscription to `presentity` came or went: its winfo subscribers learn it (RFC 3857). */
  watchersChanged(presentity: string): void;
}

/** The answer, and what to do once it is sent (the NOTIFY must follow the 200, RFC 6665 4.2.1.1). */
export interface SubscribeOutcome {
  answer: Answer;
  after?: () => void;
}

/** RFC 6665 4.2.1.1 / RFC 3261 21.4.7: no acceptable body type for the package is 406. */
function acceptable(accept: MediaType[], wanted: string): boolean {
  if (accept.length === 0) return true;
  const [type, subtype] = wanted.split('/');
  return accept.some((m) => (m.type === '*' || m.type.toLowerCase() === type) && (m.subtype === '*' || m.subtype.toLowerCase() === subtype));
}

/**
 * The From or To of the SUBSCRIBE without its tag, as our NOTIFYs' To and From (RFC 3261 12.1.1;
 * the tag is added back from the dialog). Formatted from the parsed header (RFC 3261 25.1): a
 * ";tag=" inside a quoted display name is part of the name, not a parameter.
 */
function withoutTag(party: NameAddr): string {
  const params = new Map(party.params);
  params.delete('tag');
  const copy: NameAddr = { uri: party.uri, params };
  if (party.displayName !== undefined) copy.displayName = party.displayName;
  return formatNameAddr(copy);
}

function contactOf(request: SipMessage): string | undefined {
  const contacts = request.contacts();
  if (contacts === '*' || contacts.length !== 1) return undefined;
  return formatUri(contacts[0].uri);
}

/** RFC 3261 8.1.1.8 / 12.1.1: the Contact of a dialog-creating request is the remote target, a SIP or SIPS URI. */
function notSipContact(target: string): Answer {
  return answer(400, `Bad Request (the Contact must be a sip: or sips: URI, not ${target.slice(0, 40)})`);
}

function okHeaders(request: SipMessage, sub: Subscription, seconds: number): Array<[string, string]> {
  // RFC 3261 12.1.1: a dialog-creating 2xx copies Record-Route and carries our Contact.
  const headers: Array<[string, string]> = request.headerValues('record-route').map((r): [string, string] => ['Record-Route', r]);
  headers.push(['Contact', `<${sub.record.localContact}>`], ['Expires', String(seconds)]);
  return headers;
}

export async function handleSubscribe(request: SipMessage, source: SocketIdentity, ctx: SubscribeContext): Promise<SubscribeOutcome> {
  const event = request.event();
  const pkg = event?.package.toLowerCase();
  // RFC 6665 7.2.2 (and 8.2.1: Event is mandatory): packages we do not serve get 489 with Allow-Events.
  if (pkg === undefined || BODY_TYPE[pkg] === undefined) {
    return { answer: answer(489, `Bad Event (${event?.package ?? 'no Event header'})`, [['Allow-Events', ALLOW_EVENTS]]) };
  }
  const toTag = request.to().tag;
  if (toTag !== undefined) return inDialog(request, source, ctx, toTag, pkg, event?.id);
  return initial(request, source, ctx, pkg, event?.id);
}

async function initial(request: SipMessage, source: SocketIdentity, ctx: SubscribeContext, pkg: string,
  eventId: string | undefined): Promise<SubscribeOutcome> {
  const uri = request.uri();
  const from = request.from();
  if (!isSipUri(uri) || uri.user === undefined || !isSipUri(from.uri)) return { answer: answer(404, 'Not Found (no presentity in the Request-URI)') };
  const presentity = aorOf(uri);
  if (!ctx.knownPresentity(presentity)) return { answer: answer(404, `Not Found (${presentity} is not a user here)`) };
  const watcher = aorOf(from.uri);
  // RFC 3857 5.2: a presentity's watcher list is its own business.
  if (pkg === WINFO_EVENT && watcher !== presentity) return { answer: answer(403, `Forbidden (only ${presentity} may watch its watchers)`) };
  if (!acceptable(request.accept(), BODY_TYPE[pkg])) {
    return { answer: answer(406, `Not Acceptable (${pkg} is sent as ${BODY_TYPE[pkg]})`, [['Accept', BODY_TYPE[pkg]]]) };
  }
  const remoteTarget = contactOf(request);
  if (remoteTarget === undefined) return { answer: answer(400, 'Bad Request (a SUBSCRIBE needs exactly one Contact, RFC 6665 8.1.1)') };
  if (!/^sips?:/i.test(remoteTarget)) return { answer: notSipContact(remoteTarget) };
  const expires = decideExpires(request.expires(), ctx.limits);
  if (expires.kind === 'too-brief') return { answer: answer(423, 'Interval Too Brief', [['Min-Expires', String(expires.min)]]) };
  // Our Contact names the address the watcher reaches us at: on a wildcard socket, the route's source.
  await learnReachableAddress(source.local, source.remote.address);
  const now = ctx.now();
  const seconds = expires.kind === 'grant' ? expires.seconds : 0;
  const localTag = newTag();
  // Flat copies: a slice of the SUBSCRIBE's text would keep the whole message alive for an hour.
  const callId = ownCopy(request.callId());
  const remoteTag = ownCopy(from.tag ?? '');
  const transport = source.protocol === 'udp' ? '' : `;transport=${source.protocol}`;
  const sub = new Subscription({
    id: dialogId(callId, localTag, remoteTag),
    event: pkg,
    eventId,
    presentity,
    watcher,
    callId,
    localTag,
    remoteTag,
    remoteParty: ownCopy(withoutTag(from)),
    localParty: ownCopy(withoutTag(request.to())),
    remoteTarget: ownCopy(remoteTarget),
    routeSet: request.headerValues('record-route').map(ownCopy),
    localContact: `sip:${reachableHostPort(source.local, source.remote.address)}${transport}`,
    localCseq: 0,
    remoteCseq: request.cseq().seq,
    expiresAt: now + seconds * 1000,
    received: receivedOf(source),
    connectionId: source.connectionId,
    listener: source.listener,
    createdAt: now,
  });
  if (eventId === undefined) delete sub.record.eventId;
  if (source.connectionId === undefined) delete sub.record.connectionId;
  const ok = { ...answer(200, 'OK', okHeaders(request, sub, seconds)), toTag: localTag };
  if (expires.kind === 'remove') {
    // RFC 6665 4.4.3: Expires 0 on a new subscription is a fetch: one NOTIFY with the state, terminated.
    return { answer: ok, after: () => ctx.fetch(sub) };
  }
  // Checked after the last await before add(): concurrent SUBSCRIBEs cannot all pass at the limit.
  const refusal = ctx.overLimit(presentity, watcher);
  if (refusal !== undefined) return { answer: refusal };
  await ctx.subscriptions.add(sub);
  return {
    answer: ok,
    after: () => {
      ctx.notify(sub);
      if (pkg !== WINFO_EVENT) ctx.watchersChanged(presentity);
    },
  };
}

async function inDialog(request: SipMessage, source: SocketIdentity, ctx: SubscribeContext, toTag: string,
  pkg: string, eventId: string | undefined): Promise<SubscribeOutcome> {
  const sub = ctx.subscriptions.get(dialogId(request.callId(), toTag, request.from().tag ?? ''));
  // RFC 6665 4.2.1.2 / RFC 3261 12.2.2: a refresh for a dialog we do not have. A subscription is the
  // dialog plus the Event package and its id (RFC 6665 4.1.2, 8.2.1): another id names none of ours.
  if (sub === undefined || sub.record.event !== pkg) return { answer: answer(481, 'Subscription Does Not Exist') };
  if (sub.record.eventId !== eventId) {
    return { answer: answer(481, `Subscription Does Not Exist (Event id ${eventId ?? 'absent'}, the subscription's is ${sub.record.eventId ?? 'absent'})`) };
  }
  const cseq = request.cseq().seq;
  if (cseq <= sub.record.remoteCseq) return { answer: answer(500, 'Server Internal Error (CSeq out of order)', [['Retry-After', '1']]) };
  const expires = decideExpires(request.expires(), ctx.limits);
  if (expires.kind === 'too-brief') return { answer: answer(423, 'Interval Too Brief', [['Min-Expires', String(expires.min)]]) };
  sub.record.remoteCseq = cseq;
  if (expires.kind === 'remove') {
    // RFC 6665 4.2.1.4: unsubscribing; the 200 once the subscription is durably gone (a crash right
    // after it must not bring it back), then the last NOTIFY says terminated.
    const after = await ctx.unsubscribe(sub);
    return { answer: answer(200, 'OK', okHeaders(request, sub, 0)), after };
  }
  // A refresh may come from a new address (NAT rebinding) or connection: NOTIFYs follow it.
  const target = contactOf(request);
  if (target !== undefined && !/^sips?:/i.test(target)) return { answer: notSipContact(target) };
  await ctx.subscriptions.refresh(sub, {
    expiresAt: ctx.now() + expires.seconds * 1000,
    remoteTarget: target === undefined ? sub.record.remoteTarget : ownCopy(target),
    received: receivedOf(source),
    connectionId: source.connectionId,
    listener: source.listener,
  });
  // RFC 6665 4.2.1.2: a successful refresh is followed by a NOTIFY.
  return { answer: answer(200, 'OK', okHeaders(request, sub, expires.seconds)), after: () => ctx.notify(sub) };
}
