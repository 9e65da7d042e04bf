// A scripted SIP endpoint for end-to-end tests over UDP, TCP (IPv4 or IPv6) or WebSocket (RFC 7118:
// subprotocol `sip`, Via transport WS, a `.invalid` host in Via and Contact since a browser-like client
// has no address of its own to offer). It sends text as given or requests built from a spec, answers
// what it receives with the responses a test asks for, answers a 401/407 with digest when given a
// password, and keeps every message it got for the test to look at.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { answerChallenge, pickChallenge } from '../../src/auth/digest-client.js';
import { createResponse } from '../../src/sip/builder.js';
import { SipParseError } from '../../src/sip/errors.js';
import { StreamFramer } from '../../src/sip/framing.js';
import type { SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { formatHostPort } from '../../src/sip/uri.js';

export type EndpointProtocol = 'udp' | 'tcp' | 'tls' | 'ws';

export interface RequestSpec {
  method: string;
  uri: string;
  /** From and To URIs (without angle brackets). */
  from: string;
  to: string;
  fromTag: string;
  toTag?: string;
  callId: string;
  cseq: number;
  /** Default: a fresh one. */
  branch?: string;
  /** Route values, in order (a dialog's route set). */
  routes?: string[];
  maxForwards?: number;
  /** Whole header lines (`Name: value`). */
  headers?: string[];
  body?: string;
  contentType?: string;
  /** Add a Contact naming this endpoint (dialog-creating requests and their 2xx). */
  contact?: boolean;
}

export interface RegisterOptions {
  /** Default example.com. */
  domain?: string;
  /** Default 300. */
  expires?: number;
  /** Contact values; default: this endpoint's own (`contact(user)`). Empty: a query. */
  contacts?: string[];
  /** Further whole header lines. */
  headers?: string[];
  /** Default: the endpoint's Call-ID (one per endpoint, as a UA keeps one for its registrations). */
  callId?: string;
  /** Default: the endpoint's next CSeq; the digest answer then goes with cseq + 1. */
  cseq?: number;
  /** The digest username; default the user. */
  authUser?: string;
}

let counter = 0;
const unique = (): string => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

export function newBranch(): string {
  return `z9hG4bK${unique()}`;
}

export function newTag(): string {
  return `t${unique()}`;
}

export function newCallId(): string {
  return `c${unique()}`;
}

export class SipEndpoint {
  /** The Call-ID of this endpoint's registrations. */
  readonly callId = newCallId();
  private cseq = 1;
  private readonly inbox: SipMessage[] = [];
  private waiters: Array<() => void> = [];
  private udp?: UdpSocket;
  private tcp?: TcpSocket;
  private ws?: WebSocket;
  private closed = false;
  /** RFC 7118 5.2: a WebSocket client names itself with a random `.invalid` host. */
  private readonly wsHost = `${unique()}.invalid`;

  private constructor(readonly protocol: EndpointProtocol, readonly host: string, readonly serverPort: number) {}

  /** An endpoint talking to the server at host:serverPort (ws: `ws://host:port`, subprotocol sip; tls: trusting `ca`). */
  static async open(protocol: EndpointProtocol, host: string, serverPort: number, ca?: string): Promise<SipEndpoint> {
    const p = new SipEndpoint(protocol, host, serverPort);
    if (protocol === 'udp') {
      p.udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      p.udp.on('message', (data) => p.deliver(data));
      p.udp.on('error', () => {});
      await new Promise<void>((resolve) => p.udp?.bind(0, host, resolve));
    } else if (protocol === 'tcp' || protocol === 'tls') {
      const framer = new StreamFramer();
      p.tcp = protocol === 'tcp' ? connect({ host, port: serverPort }) : tlsConnect({ host, port: serverPort, ca, servername: 'localhost' });
      p.tcp.on('data', (chunk) => {
        for (const ev of framer.push(chunk)) if (ev.type === 'message') p.deliver(ev.data);
      });
      p.tcp.on('error', () => {});
      await new Promise<void>((resolve) => p.tcp?.once(protocol === 'tcp' ? 'connect' : 'secureConnect', () => resolve()));
    } else {
      const ws = new WebSocket(`ws://${formatHostPort(host, serverPort)}`, 'sip');
      p.ws = ws;
      ws.on('message', (data: Buffer) => p.deliver(data));
      ws.on('error', () => {});
      await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
      if (ws.protocol !== 'sip') throw new Error(`server chose subprotocol "${ws.protocol}"`);
    }
    return p;
  }

  get port(): number {
    if (this.udp) return this.udp.address().port;
    if (this.tcp) return this.tcp.localPort as number;
    return 0;
  }

  /** The host:port this endpoint writes in Via and Contact (IPv6 in brackets; ws: its `.invalid` host). */
  get sentBy(): string {
    return this.protocol === 'ws' ? this.wsHost : formatHostPort(this.host, this.port);
  }

  /** `<sip:user@sent-by;transport=...>`. */
  contact(user: string): string {
    return `<sip:${user}@${this.sentBy};transport=${this.protocol}>`;
  }

  via(branch: string): string {
    return `SIP/2.0/${this.protocol.toUpperCase()} ${this.sentBy};branch=${branch}${this.protocol === 'udp' ? ';rport' : ''}`;
  }

  nextCSeq(): number {
    return this.cseq++;
  }

  /** Request text; the Contact names this endpoint when `contact` is set. */
  requestText(s: RequestSpec, extra: string[] = []): string {
    const body = s.body ?? '';
    const lines = [
      `${s.method} ${s.uri} SIP/2.0`,
      `Via: ${this.via(s.branch ?? newBranch())}`,
      `Max-Forwards: ${s.maxForwards ?? 70}`,
      ...(s.routes ?? []).map((r) => `Route: ${r}`),
      `From: <${s.from}>;tag=${s.fromTag}`,
      `To: <${s.to}>${s.toTag === undefined ? '' : `;tag=${s.toTag}`}`,
      `Call-ID: ${s.callId}`,
      `CSeq: ${s.cseq} ${s.method}`,
      ...(s.contact ? [`Contact: ${this.contact(s.from.replace(/^sip:([^@]*)@.*$/, '$1'))}`] : []),
      ...(s.contentType === undefined ? [] : [`Content-Type: ${s.contentType}`]),
      ...(s.headers ?? []),
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  }

  /** Sends text (UTF-8) or bytes as given. */
  send(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.udp) this.udp.send(bytes, this.serverPort, this.host);
    else if (this.tcp) this.tcp.write(bytes);
    else this.ws?.send(bytes.toString('utf8'));
  }

  /** Sends a request; returns its branch. */
  sendRequest(s: RequestSpec, extra: string[] = []): string {
    const branch = s.branch ?? newBranch();
    this.send(this.requestText({ ...s, branch }, extra));
    return branch;
  }

  /** The next message matching `match` (any request, any response, or a test), or an error after `timeoutMs`. */
  async next(match: 'request' | 'response' | ((m: SipMessage) => boolean), timeoutMs = 3000,
    what = typeof match === 'string' ? match : 'message'): Promise<SipMessage> {
    const test = typeof match === 'string' ? (m: SipMessage): boolean => m.kind === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(test);
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (inbox: ${this.inbox.map(describe).join(', ') || 'empty'})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  nextRequest(method: string, timeoutMs = 3000): Promise<SipMessage> {
    return this.next((m) => m.kind === 'request' && m.method === method, timeoutMs, `${method} request`);
  }

  /** The next response to `method` (CSeq) with a status in [min, max]. */
  nextResponse(method: string, min = 100, max = 699, timeoutMs = 3000): Promise<SipMessage> {
    return this.next((m) => m.kind === 'response' && m.cseq().method === method && (m.status ?? 0) >= min && (m.status ?? 0) <= max,
      timeoutMs, `${method} response ${min}-${max}`);
  }

  /** The next final response to whatever was sent. */
  finalResponse(timeoutMs = 3000): Promise<SipMessage> {
    return this.next((m) => m.kind === 'response' && (m.status ?? 0) >= 200, timeoutMs, 'final response');
  }

  /** Whether a message matching `match` arrives within `ms` (it stays unconsumed when not). */
  async gets(match: (m: SipMessage) => boolean, ms: number): Promise<boolean> {
    try {
      await this.next(match, ms);
      return true;
    } catch {
      return false;
    }
  }

  /** Answers `req` (To tag `toTag` on a dialog-creating answer; extra header lines). */
  respond(req: SipMessage, status: number, opts: { toTag?: string; headers?: Array<[string, string]>; reason?: string } = {}): SipMessage {
    const res = createResponse(req, status, opts.reason, { toTag: opts.toTag, headers: opts.headers ?? [] });
    this.send(res.toBuffer());
    return res;
  }

  /** REGISTER text for `user` (a fresh From tag; Call-ID and CSeq as `opts` says). */
  registerText(user: string, opts: RegisterOptions = {}, extra: string[] = []): string {
    const domain = opts.domain ?? 'example.com';
    return this.requestText({
      method: 'REGISTER', uri: `sip:${domain}`, from: `sip:${user}@${domain}`, to: `sip:${user}@${domain}`,
      fromTag: newTag(), callId: opts.callId ?? this.callId, cseq: opts.cseq ?? this.nextCSeq(),
      headers: [...(opts.contacts ?? [this.contact(user)]).map((c) => `Contact: ${c}`), `Expires: ${opts.expires ?? 300}`, ...(opts.headers ?? [])],
    }, extra);
  }

  /** REGISTER; a 401 is answered once with digest when `password` is given. Returns the final response. */
  async register(user: string, password?: string, opts: RegisterOptions = {}): Promise<SipMessage> {
    this.send(this.registerText(user, opts));
    const first = await this.nextResponse('REGISTER', 200);
    if (first.status !== 401 || password === undefined) return first;
    const challenge = pickChallenge(first.wwwAuthenticate());
    if (!challenge) throw new Error('401 without a usable challenge');
    const auth = answerChallenge(challenge, { username: opts.authUser ?? user, password }, 'REGISTER', `sip:${opts.domain ?? 'example.com'}`, 1);
    this.send(this.registerText(user, { ...opts, cseq: opts.cseq === undefined ? undefined : opts.cseq + 1 }, [`Authorization: ${auth}`]));
    return this.nextResponse('REGISTER', 200);
  }

  /**
   * Sends a request and waits for its final response; a 407 is answered once with digest (for an
   * INVITE the 407 is ACKed first, RFC 3261 17.1.1.3), as a new transaction with CSeq + 1.
   */
  async request(s: RequestSpec, password?: string, timeoutMs = 5000): Promise<{ response: SipMessage; spec: RequestSpec }> {
    const branch = this.sendRequest(s);
    const first = await this.nextResponse(s.method, 200, 699, timeoutMs);
    if (first.status !== 407 || password === undefined) return { response: first, spec: { ...s, branch } };
    if (s.method === 'INVITE') this.ackNon2xx({ ...s, branch }, first);
    const challenge = pickChallenge(first.proxyAuthenticate());
    if (!challenge) throw new Error('407 without a usable challenge');
    const user = s.from.replace(/^sip:([^@]*)@.*$/, '$1');
    const auth = `Proxy-Authorization: ${answerChallenge(challenge, { username: user, password }, s.method, s.uri, 1)}`;
    const again: RequestSpec = { ...s, cseq: s.cseq + 1, branch: newBranch(), headers: [...(s.headers ?? []), auth] };
    this.sendRequest(again);
    return { response: await this.nextResponse(s.method, 200, 699, timeoutMs), spec: again };
  }

  /** RFC 3261 17.1.1.3: the ACK of a non-2xx final answer: same branch, Request-URI and Route, To with the answer's tag. */
  ackNon2xx(invite: RequestSpec, response: SipMessage): void {
    this.sendRequest({ ...invite, method: 'ACK', toTag: response.to().tag, body: undefined, contentType: undefined, headers: [], contact: false });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.udp?.close();
    this.tcp?.destroy();
    this.ws?.terminate();
  }

  private deliver(data: Buffer): void {
    const msg = parseMessage(data);
    if (msg instanceof SipParseError) return;
    this.inbox.push(msg);
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }
}

function describe(m: SipMessage): string {
  return m.kind === 'request' ? m.method : `${m.status} ${m.cseq().method}`;
}

/**
 * RFC 3261 12.1.2: the route set a UAC learns from a 2xx: the Record-Route values in reverse order
 * (the UAS keeps them in order, 12.1.1).
 */
export function uacRouteSet(response: SipMessage): string[] {
  return response.rawValues('record-route').flatMap(splitList).reverse();
}

export function uasRouteSet(request: SipMessage): string[] {
  return request.rawValues('record-route').flatMap(splitList);
}

function splitList(value: string): string[] {
  return value.split(/,(?=\s*<)/).map((v) => v.trim());
}

/** The URI inside a Contact value. */
export function contactUri(m: SipMessage): string {
  const c = m.header('contact') ?? '';
  const inner = /<([^>]*)>/.exec(c);
  return inner ? inner[1] : c.trim();
}
