// Sending one NOTIFY within a subscription dialog (RFC 6665 4.2.2, RFC 3261 12.2.1.1) and reporting
// whether the subscriber took it. Where it goes: through the route set when the SUBSCRIBE was
// record-routed; otherwise to the socket the SUBSCRIBE came from (over its connection while open):
// a subscriber behind a NAT, or one like libpurple whose Contact names an interface it does not
// send from, is reachable only there, just as the registrar reaches a binding by its received source.
// Once that stream connection is gone (idle timeout, a restart), a Contact that is registered goes
// where the proxy sends requests for it: the current connection of its binding (RFC 5626 5.3: a
// request to a flow goes over the flow's current connection; RFC 7118 5.3: a WebSocket client is
// reached only over its WebSocket connection), or nowhere while that RFC 5626 flow is down. Any other
// remote target (the Contact) is where the dialog goes, over a new connection (RFC 3261 12.2.1.1,
// 18.1.1): the source port of a closed connection listens for nothing.
import { lookup } from 'node:dns/promises';
import { createRequest, newBranch } from '../sip/builder.js';
import type { SipMessage } from '../sip/message.js';
import { uriWithIPv4Host } from '../sip/mapped-host.js';
import { parseNameAddr } from '../sip/name-addr.js';
import { formatHostPort, isSipUri, parseUri, type SipUri } from '../sip/uri.js';
import type { SubscriptionRecord } from '../store/types.js';
import type { ClientTransaction } from '../transaction/client-transaction.js';
import { normalizeAddress, sameAddress } from '../transport/address.js';
import { listenerEndpoint } from '../transport/listener-address.js';
import { sharedSourceAddresses } from '../transport/source-address.js';
import type { SendTarget, TransportProtocol } from '../transport/types.js';

/** What one NOTIFY says (RFC 6665 8.2.3 Subscription-State, and the body of the package). */
export interface NotifyContent {
  state: 'active' | 'pending' | 'terminated';
  /** Seconds left, for active and pending (RFC 6665 4.2.2: the expires parameter is mandatory there). */
  expires?: number;
  /** For terminated (RFC 6665 4.2.2): timeout, deactivated, noresource, rejected... */
  reason?: string;
  body?: { contentType: string; text: string };
}

/**
 * `flow-down`: nothing was sent, because the subscriber's Contact is registered as an RFC 5626 flow
 * whose connection is gone; `aor` is the address-of-record of that binding, registered again when the
 * UA has connected again (RFC 5626 4.5).
 */
export type NotifyOutcome = { kind: 'delivered' } | { kind: 'failed' } | { kind: 'flow-down'; aor: string };

const DELIVERED: NotifyOutcome = Object.freeze({ kind: 'delivered' });
const FAILED: NotifyOutcome = Object.freeze({ kind: 'failed' });

/** The binding that holds a registered contact, as the proxy reaches it (src/proxy/contact-index.ts, target-set.ts). */
export interface RegisteredFlow {
  aor: string;
  /** Its connection or source; undefined when it is an RFC 5626 flow whose connection is closed (RFC 5626 5.3). */
  target: SendTarget | undefined;
}

export interface NotifierOptions {
  sendRequest(request: SipMessage, target: SendTarget): ClientTransaction;
  serverName: string;
  /** Whether the stream connection a SUBSCRIBE came on is still open (the transport's pool). */
  connectionOpen(connectionId: string): boolean;
  /**
   * Where requests for a registered contact go now (the proxy's contact index and flow state);
   * undefined when `contact` is not a registered contact reached directly. Default: none is.
   */
  registeredFlow?(contact: SipUri): RegisteredFlow | undefined;
}

const TRANSPORTS: ReadonlySet<string> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Where a SIP URI of the route set points (RFC 3263 reduced to what a route needs: transport, host, port). */
async function uriTarget(uri: SipUri): Promise<SendTarget> {
  const param = uri.params.get('transport')?.toLowerCase();
  const protocol: TransportProtocol = uri.scheme === 'sips' ? 'tls' : param !== undefined && TRANSPORTS.has(param) ? param as TransportProtocol : 'udp';
  // An IPv4-mapped host (`[::ffff:192.0.2.1]`) is the IPv4 address it carries: sent over IPv4, since
  // with bindv6only=1 no IPv6 socket reaches it (README: Transports and addresses).
  const address = normalizeAddress(isIpLiteral(uri.host) ? uri.host : (await lookup(uri.host)).address);
  return { protocol, address, port: uri.port ?? (protocol === 'tls' ? 5061 : 5060) };
}

/**
 * RFC 3261 12.2.1.1: with a loose-routing first hop the Request-URI is the remote target and the
 * route set goes into Route; with a strict router (no lr) the first route becomes the Request-URI.
 */
function requestRouting(record: SubscriptionRecord): { uri: string; routes: string[]; next: SipUri | undefined } {
  // The subscriber's Contact with a mapped host written as its IPv4 address (sip/mapped-host.ts).
  const remoteTarget = uriWithIPv4Host(record.remoteTarget);
  if (record.routeSet.length === 0) return { uri: remoteTarget, routes: [], next: undefined };
  const first = parseNameAddr(record.routeSet[0]).uri;
  if (!isSipUri(first)) return { uri: remoteTarget, routes: record.routeSet, next: undefined };
  if (first.params.has('lr')) return { uri: remoteTarget, routes: record.routeSet, next: first };
  const firstText = record.routeSet[0].replace(/^.*<|>.*$/g, '');
  return { uri: firstText, routes: [...record.routeSet.slice(1), `<${remoteTarget}>`], next: first };
}

function subscriptionState(c: NotifyContent): string {
  if (c.state === 'terminated') return c.reason === undefined ? 'terminated' : `terminated;reason=${c.reason}`;
  return `${c.state};expires=${c.expires ?? 0}`;
}

/**
 * Our URI for the Via and Contact of a NOTIFY to `target`: the one the SUBSCRIBE was answered with when
 * the NOTIFY goes to where the SUBSCRIBE came from; otherwise (the Contact over a new connection, a
 * route's next hop elsewhere) the listener's address as that target reaches it (RFC 3261 18.2.1,
 * 12.1.1: the watcher sends its refreshes to our Contact).
 */
async function localContactToward(record: SubscriptionRecord, target: SendTarget): Promise<string> {
  const bound = listenerEndpoint(record.listener);
  if (bound === undefined || sameAddress(target.address, record.received.address)) return record.localContact;
  await sharedSourceAddresses().pending(bound.address, target.address);
  const transport = /;transport=\w+/.exec(record.localContact)?.[0] ?? '';
  return `sip:${formatHostPort(sharedSourceAddresses().toward(bound.address, target.address), bound.port)}${transport}`;
}

export class Notifier {
  constructor(private readonly options: NotifierOptions) {}

  /** Builds the NOTIFY with CSeq `cseq` and sends it; resolves with whether a 2xx came back. */
  async send(record: SubscriptionRecord, cseq: number, content: NotifyContent): Promise<NotifyOutcome> {
    let request: SipMessage;
    let target: SendTarget;
    try {
      const routing = requestRouting(record);
      const found = routing.next !== undefined ? await uriTarget(routing.next) : await this.directTarget(record);
      if ('kind' in found) return found;
      target = found;
      request = this.build(record, cseq, content, routing.uri, routing.routes, target.protocol, await localContactToward(record, target));
    } catch {
      return FAILED;
    }
    return new Promise<NotifyOutcome>((resolve) => {
      let tx: ClientTransaction;
      try {
        tx = this.options.sendRequest(request, target);
      } catch {
        resolve(FAILED);
        return;
      }
      // RFC 6665 4.2.2: a NOTIFY that times out or gets any failure response ends the subscription.
      tx.once('final', (res) => resolve((res.status ?? 500) < 300 ? DELIVERED : FAILED));
      tx.once('timeout', () => resolve(FAILED));
      tx.once('transport-error', () => resolve(FAILED));
    });
  }

  /**
   * Without a route set: the SUBSCRIBE's source while it can be reached there; else the registered
   * contact's current flow (none while it is down), else the Contact.
   */
  private async directTarget(record: SubscriptionRecord): Promise<SendTarget | NotifyOutcome> {
    const { protocol, address, port } = record.received;
    if (protocol === 'udp') return { protocol, address, port, listener: record.listener };
    if (record.connectionId !== undefined && this.options.connectionOpen(record.connectionId)) {
      return { protocol, address, port, connectionId: record.connectionId };
    }
    const contact = parseUri(record.remoteTarget);
    if (!isSipUri(contact)) throw new Error(`remote target ${record.remoteTarget} is not a SIP URI`);
    const flow = this.options.registeredFlow?.(contact);
    if (flow !== undefined) return flow.target ?? { kind: 'flow-down', aor: flow.aor };
    return uriTarget(contact);
  }

  private build(record: SubscriptionRecord, cseq: number, content: NotifyContent, uri: string, routes: string[],
    protocol: TransportProtocol, localContact: string): SipMessage {
    const sentBy = localContact.replace(/^sips?:/, '').replace(/;.*$/, '');
    const event = record.eventId === undefined ? record.event : `${record.event};id=${record.eventId}`;
    const headers: Array<[string, string]> = routes.map((r): [string, string] => ['Route', r]);
    headers.push(['Event', event], ['Subscription-State', subscriptionState(content)], ['User-Agent', this.options.serverName]);
    return createRequest({
      method: 'NOTIFY',
      uri,
      via: `SIP/2.0/${protocol.toUpperCase()} ${sentBy};branch=${newBranch()};rport`,
      from: `${record.localParty};tag=${record.localTag}`,
      to: `${record.remoteParty};tag=${record.remoteTag}`,
      callId: record.callId,
      cseq,
      contact: `<${localContact}>`,
      headers,
      body: content.body?.text,
      contentType: content.body?.contentType,
    });
  }
}
