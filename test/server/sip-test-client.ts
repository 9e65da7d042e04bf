// A small SIP peer for end-to-end tests over UDP or TCP, IPv4 or IPv6: sends text as given, parses
// what comes back, registers with digest (answerChallenge) when challenged.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { answerChallenge, pickChallenge } from '../../src/auth/digest-client.js';
import { SipParseError } from '../../src/sip/errors.js';
import { StreamFramer } from '../../src/sip/framing.js';
import type { SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { formatHostPort } from '../../src/sip/uri.js';

export interface RegisterSpec {
  user: string;
  domain?: string;
  callId?: string;
  cseq?: number;
  /** Contact values; default: the client's own address and port. Empty: a query. */
  contacts?: string[];
  expires?: number;
  headers?: string[];
}

export class SipTestClient {
  private readonly inbox: SipMessage[] = [];
  private waiters: Array<() => void> = [];
  private cseq = 1;
  readonly callId = `e2e-${Math.random().toString(36).slice(2)}`;
  private udp?: UdpSocket;
  private tcp?: TcpSocket;
  private closed = false;

  private constructor(readonly protocol: 'udp' | 'tcp', readonly host: string, readonly serverPort: number) {}

  static async open(protocol: 'udp' | 'tcp', host: string, serverPort: number): Promise<SipTestClient> {
    const c = new SipTestClient(protocol, host, serverPort);
    if (protocol === 'udp') {
      c.udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      c.udp.on('message', (data) => c.deliver(data));
      c.udp.on('error', () => {});
      await new Promise<void>((resolve) => c.udp?.bind(0, host, resolve));
    } else {
      const framer = new StreamFramer();
      c.tcp = connect({ host, port: serverPort });
      c.tcp.on('data', (chunk) => {
        for (const ev of framer.push(chunk)) if (ev.type === 'message') c.deliver(ev.data);
      });
      c.tcp.on('error', () => {});
      await new Promise<void>((resolve) => c.tcp?.once('connect', () => resolve()));
    }
    return c;
  }

  get port(): number {
    return this.udp ? this.udp.address().port : (this.tcp?.localPort as number);
  }

  /** The client's address:port as written in SIP (IPv6 in brackets). */
  get hostPort(): string {
    return formatHostPort(this.host, this.port);
  }

  nextCSeq(): number {
    return this.cseq++;
  }

  send(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.udp) this.udp.send(bytes, this.serverPort, this.host);
    else this.tcp?.write(bytes);
  }

  /** The next message of this kind, or an error after `timeoutMs`. */
  async next(kind: 'request' | 'response', timeoutMs = 3000): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.kind === kind);
      if (i >= 0) return this.inbox.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${kind} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  registerText(spec: RegisterSpec, extra: string[] = []): string {
    const domain = spec.domain ?? 'example.com';
    const transport = this.protocol.toUpperCase();
    const contacts = spec.contacts ?? [`<sip:${spec.user}@${this.hostPort};transport=${this.protocol}>`];
    const lines = [
      `REGISTER sip:${domain} SIP/2.0`,
      `Via: SIP/2.0/${transport} ${this.hostPort};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
      'Max-Forwards: 70',
      `From: <sip:${spec.user}@${domain}>;tag=${Math.random().toString(36).slice(2)}`,
      `To: <sip:${spec.user}@${domain}>`,
      `Call-ID: ${spec.callId ?? this.callId}`,
      `CSeq: ${spec.cseq ?? this.nextCSeq()} REGISTER`,
      ...contacts.map((c) => `Contact: ${c}`),
      ...(spec.expires === undefined ? [] : [`Expires: ${spec.expires}`]),
      ...(spec.headers ?? []),
      ...extra,
      'Content-Length: 0',
    ];
    return `${lines.join('\r\n')}\r\n\r\n`;
  }

  /** Sends a REGISTER and returns its final response, answering one 401 with `password` if given. */
  async register(spec: RegisterSpec, password?: string, authUser = spec.user): Promise<SipMessage> {
    this.send(this.registerText(spec));
    const first = await this.finalResponse();
    if (first.status !== 401 || password === undefined) return first;
    const challenge = pickChallenge(first.wwwAuthenticate());
    if (!challenge) throw new Error('401 without a usable challenge');
    const uri = `sip:${spec.domain ?? 'example.com'}`;
    const auth = answerChallenge(challenge, { username: authUser, password }, 'REGISTER', uri, 1);
    this.send(this.registerText({ ...spec, cseq: spec.cseq === undefined ? undefined : spec.cseq + 1 }, [`Authorization: ${auth}`]));
    return this.finalResponse();
  }

  async finalResponse(timeoutMs = 3000): Promise<SipMessage> {
    for (;;) {
      const r = await this.next('response', timeoutMs);
      if ((r.status ?? 0) >= 200) return r;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.udp?.close();
    this.tcp?.destroy();
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
