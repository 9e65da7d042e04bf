// Building this UA's requests (RFC 3261 8.1.1): Via with rport (RFC 3581 3: always asked for, so the
// responses tell us our public address), Max-Forwards, From/To, Call-ID, CSeq, Contact, the
// outbound proxy as a pre-loaded Route (RFC 3261 8.1.2) and a User-Agent.
import { createRequest, newBranch } from '../sip/builder.js';
import type { SipMessage } from '../sip/message.js';
import { formatHostPort } from '../sip/uri.js';
import type { Endpoint } from '../transport/types.js';
import type { Flow } from './flow.js';

export interface Identity {
  /** The address of record, `sip:alice@example.com`. */
  aor: string;
  /** The user part of the AOR, escaped as written. */
  user: string;
  displayName?: string;
  userAgent: string;
}

export interface OutgoingRequest {
  method: string;
  uri: string;
  /** To as a name-addr, with its tag when inside a dialog. */
  to: string;
  fromTag: string;
  callId: string;
  cseq: number;
  /** Dialog route set (RFC 3261 12.2.1.1); the pre-loaded outbound proxy route otherwise. */
  routes?: string[];
  contact?: boolean;
  headers?: ReadonlyArray<readonly [string, string]>;
  body?: string;
  contentType?: string;
}

function quoteDisplayName(name: string): string {
  return `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

export class RequestBuilder {
  /** Our address as the server sees it (RFC 3581 received/rport), when it differs from the local one (NAT). */
  publicEndpoint: { address: string; port: number } | undefined;

  constructor(
    readonly identity: Identity,
    private readonly flow: () => Flow,
    /** The outbound proxy's Route value, `<sip:proxy.example.com;lr>` (RFC 3261 8.1.2). */
    private readonly outboundRoute: string | undefined,
  ) {}

  /** The Contact URI: our reachable address on the current flow, with the transport when not UDP. */
  contactUri(): string {
    const flow = this.flow();
    const where: Pick<Endpoint, 'address' | 'port'> = flow.target.protocol === 'udp' && this.publicEndpoint ? this.publicEndpoint : flow.local;
    const transport = flow.target.protocol === 'udp' ? '' : `;transport=${flow.target.protocol}`;
    return `sip:${this.identity.user}@${formatHostPort(where.address, where.port)}${transport}`;
  }

  fromHeader(): string {
    const name = this.identity.displayName;
    return `${name === undefined ? '' : `${quoteDisplayName(name)} `}<${this.identity.aor}>`;
  }

  build(req: OutgoingRequest): SipMessage {
    const flow = this.flow();
    const via = `SIP/2.0/${flow.target.protocol.toUpperCase()} ${formatHostPort(flow.local.address, flow.local.port)};rport;branch=${newBranch()}`;
    const headers: Array<[string, string]> = [];
    const routes = req.routes ?? (this.outboundRoute === undefined ? [] : [this.outboundRoute]);
    for (const r of routes) headers.push(['Route', r]);
    headers.push(...(req.headers ?? []).map(([n, v]): [string, string] => [n, v]));
    headers.push(['User-Agent', this.identity.userAgent]);
    return createRequest({
      method: req.method,
      uri: req.uri,
      from: this.fromHeader(),
      fromTag: req.fromTag,
      to: req.to,
      callId: req.callId,
      cseq: req.cseq,
      via,
      contact: req.contact === false ? undefined : `<${this.contactUri()}>`,
      headers,
      body: req.body,
      contentType: req.contentType,
    });
  }
}
