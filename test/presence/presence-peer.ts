// A SIP peer for presence tests, on top of SipEndpoint: SUBSCRIBE (initial and in-dialog),
// PUBLISH, NOTIFYs answered as the test says (200 by default), REGISTER with a Contact of its own.
import type { SipMessage } from '../../src/sip/message.js';
import { formatUri } from '../../src/sip/uri.js';
import { newBranch, SipEndpoint } from '../helpers/sip-endpoint.js';

export interface Dialog {
  callId: string;
  fromTag: string;
  toTag: string;
  /** Our Contact URI from the 200: in-dialog SUBSCRIBEs go there. */
  target: string;
  presentity: string;
  cseq: number;
  event: string;
}

let counter = 0;
function unique(prefix: string): string {
  counter++;
  return `${prefix}${counter}x${Math.random().toString(36).slice(2, 8)}`;
}

export class PresencePeer {
  constructor(readonly sip: SipEndpoint, readonly user: string, readonly domain: string) {}

  static async open(protocol: 'udp' | 'tcp', host: string, port: number, user: string, domain = host.includes(':') ? `[${host}]` : host): Promise<PresencePeer> {
    return new PresencePeer(await SipEndpoint.open(protocol, host, port), user, domain);
  }

  get aor(): string {
    return `sip:${this.user}@${this.domain}`;
  }

  private via(): string {
    return `Via: ${this.sip.via(newBranch())}`;
  }

  private contact(): string {
    return `Contact: ${this.sip.contact(this.user)}`;
  }

  async register(expires = 300): Promise<SipMessage> {
    return this.sip.register(this.user, undefined, { domain: this.domain, expires });
  }

  /** Sends a request built from lines (Content-Length added) and returns its final response. */
  async request(lines: string[], body = ''): Promise<SipMessage> {
    const text = `${[...lines, `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`;
    this.sip.send(text);
    return this.sip.finalResponse();
  }

  /** `contact`: the Contact header value (default: this peer's own address). */
  async subscribe(presentity: string, options: { expires?: number; event?: string; accept?: string; extra?: string[]; contact?: string } = {}): Promise<{ response: SipMessage; dialog: Dialog }> {
    const event = options.event ?? 'presence';
    const callId = unique('sub');
    const fromTag = unique('f');
    const response = await this.request([
      `SUBSCRIBE ${presentity} SIP/2.0`, this.via(), 'Max-Forwards: 70',
      `From: <${this.aor}>;tag=${fromTag}`, `To: <${presentity}>`, `Call-ID: ${callId}`, 'CSeq: 1 SUBSCRIBE',
      options.contact === undefined ? this.contact() : `Contact: ${options.contact}`, `Event: ${event}`, `Expires: ${options.expires ?? 600}`,
      ...(options.accept === undefined ? [] : [`Accept: ${options.accept}`]), ...(options.extra ?? []),
    ]);
    const contact = response.status === 200 ? response.contacts() : [];
    const target = contact === '*' || contact.length === 0 ? '' : formatUri(contact[0].uri);
    return {
      response,
      dialog: {
        callId, fromTag, toTag: response.to().tag ?? '', presentity, cseq: 1, event,
        target,
      },
    };
  }

  /** In-dialog SUBSCRIBE (refresh, or unsubscribe with expires 0) sent to the notifier's Contact. */
  async resubscribe(d: Dialog, expires: number): Promise<SipMessage> {
    d.cseq++;
    return this.request([
      `SUBSCRIBE ${d.target} SIP/2.0`, this.via(), 'Max-Forwards: 70',
      `From: <${this.aor}>;tag=${d.fromTag}`, `To: <${d.presentity}>;tag=${d.toTag}`, `Call-ID: ${d.callId}`,
      `CSeq: ${d.cseq} SUBSCRIBE`, this.contact(), `Event: ${d.event}`, `Expires: ${expires}`,
    ]);
  }

  async publish(options: { body?: string; etag?: string; expires?: number; event?: string; contentType?: string } = {}): Promise<SipMessage> {
    const lines = [
      `PUBLISH ${this.aor} SIP/2.0`, this.via(), 'Max-Forwards: 70',
      `From: <${this.aor}>;tag=${unique('p')}`, `To: <${this.aor}>`, `Call-ID: ${unique('pub')}`, 'CSeq: 1 PUBLISH',
      `Event: ${options.event ?? 'presence'}`,
    ];
    if (options.expires !== undefined) lines.push(`Expires: ${options.expires}`);
    if (options.etag !== undefined) lines.push(`SIP-If-Match: ${options.etag}`);
    if (options.body !== undefined) lines.push(`Content-Type: ${options.contentType ?? 'application/pidf+xml'}`);
    return this.request(lines, options.body ?? '');
  }

  /** The next NOTIFY, answered with `status` (null: not answered at all). */
  async notify(status: number | null = 200, timeoutMs = 3000): Promise<SipMessage> {
    for (;;) {
      const req = await this.sip.next('request', timeoutMs);
      if (req.method !== 'NOTIFY') {
        if (req.method === 'OPTIONS') this.sip.respond(req, 200);
        continue;
      }
      if (status !== null) this.sip.respond(req, status);
      return req;
    }
  }

  /** Answers NOTIFYs until one satisfies `wanted`; returns it. */
  async notifyUntil(wanted: (n: SipMessage) => boolean, timeoutMs = 4000): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const n = await this.notify(200, Math.max(1, deadline - Date.now()));
      if (wanted(n)) return n;
    }
  }

  close(): void {
    this.sip.close();
  }
}

export function pidf(entity: string, basic: 'open' | 'closed', options: { note?: string; tupleId?: string; extra?: string } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="${entity}">
  <tuple id="${options.tupleId ?? 't1'}"><status><basic>${basic}</basic></status></tuple>
  ${options.note === undefined ? '' : `<dm:person id="p1"><dm:note>${options.note}</dm:note></dm:person>`}
  ${options.extra ?? ''}
</presence>`;
}

/** The first tuple's basic status and note, as libpurple reads a NOTIFY. */
export function firstTuple(n: SipMessage): { basic: string | undefined; note: string | undefined } {
  const body = n.body.toString('utf8');
  const tuple = /<tuple\b[\s\S]*?<\/tuple>/.exec(body)?.[0] ?? '';
  return { basic: /<basic>(\w+)<\/basic>/.exec(tuple)?.[1], note: /<note>([^<]*)<\/note>/.exec(tuple)?.[1] };
}
