// Test doubles for the transaction layer: a fake clock driving a manual timer heap, a fake
// transport recording what is sent, and request/response factories.
import { parseMessage } from '../../src/sip/parser.js';
import { createResponse } from '../../src/sip/builder.js';
import type { SipMessage } from '../../src/sip/message.js';
import type { SendTarget, SocketIdentity, TransportProtocol } from '../../src/transport/types.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { TransactionLayer } from '../../src/transaction/transaction-layer.js';
import type { TransactionTransport } from '../../src/transaction/transaction-environment.js';

export class FakeClock {
  t = 0;
  readonly heap = new TimerHeap({ now: () => this.t, autoRun: false });

  /** Moves time forward, firing every timer at its own deadline on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let d = this.heap.nextDeadline(); d !== undefined && d <= end; d = this.heap.nextDeadline()) {
      this.t = Math.max(this.t, d);
      this.heap.runDue();
    }
    this.t = end;
  }

  /** Advances to an absolute time. */
  to(t: number): void {
    this.advance(t - this.t);
  }
}

export interface SentRequest {
  at: number;
  target: SendTarget;
  message: SipMessage;
}

export interface SentResponse {
  at: number;
  response: SipMessage;
  source: SocketIdentity;
}

export class FakeTransport implements TransactionTransport {
  readonly sent: SentRequest[] = [];
  readonly responses: SentResponse[] = [];
  /** When set, every send is rejected with it. */
  failWith: Error | undefined;

  constructor(private readonly clock: FakeClock) {}

  send(target: SendTarget, data: Buffer): Promise<SocketIdentity> {
    const message = parseMessage(data);
    if (message instanceof Error) throw message;
    this.sent.push({ at: this.clock.t, target, message });
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({
      protocol: target.protocol,
      local: { address: '127.0.0.1', port: 5060, family: 4 },
      remote: { address: target.address, port: target.port, family: 4 },
      listener: `${target.protocol} 127.0.0.1:5060`,
      ...(target.protocol === 'udp' ? {} : { connectionId: 'conn-1' }),
    });
  }

  sendResponse(response: SipMessage, source: SocketIdentity): Promise<void> {
    this.responses.push({ at: this.clock.t, response, source });
    return this.failWith ? Promise.reject(this.failWith) : Promise.resolve();
  }

  /** Send times (ms) of the requests with this method. */
  requestTimes(method: string): number[] {
    return this.sent.filter((s) => s.message.method === method).map((s) => s.at);
  }

  responseTimes(status?: number): number[] {
    return this.responses.filter((r) => status === undefined || r.response.status === status).map((r) => r.at);
  }
}

export interface Harness {
  clock: FakeClock;
  transport: FakeTransport;
  layer: TransactionLayer;
}

export function harness(): Harness {
  const clock = new FakeClock();
  const transport = new FakeTransport(clock);
  const layer = new TransactionLayer({ transport, timers: clock.heap });
  return { clock, transport, layer };
}

/** Lets rejected sends reach their handlers. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function source(protocol: TransportProtocol = 'udp', port = 5062, address = '192.0.2.10'): SocketIdentity {
  return {
    protocol,
    local: { address: '192.0.2.1', port: 5060, family: 4 },
    remote: { address, port, family: 4 },
    listener: `${protocol} 192.0.2.1:5060`,
    ...(protocol === 'udp' ? {} : { connectionId: `${protocol}-${port}` }),
  };
}

export function target(protocol: TransportProtocol = 'udp'): SendTarget {
  return { protocol, address: '192.0.2.20', port: 5060 };
}

export interface RequestOptions {
  /** `null`: no branch parameter at all (RFC 2543). */
  branch?: string | null;
  sentBy?: string;
  transport?: string;
  callId?: string;
  fromTag?: string;
  fromUser?: string;
  toTag?: string;
  cseq?: number;
  cseqMethod?: string;
  uri?: string;
  extraHeaders?: string[];
}

export function request(method: string, o: RequestOptions = {}): SipMessage {
  const branch = o.branch === null ? '' : `;branch=${o.branch ?? 'z9hG4bK-test-1'}`;
  const lines = [
    `${method} ${o.uri ?? 'sip:bob@example.com'} SIP/2.0`,
    `Via: SIP/2.0/${o.transport ?? 'UDP'} ${o.sentBy ?? '192.0.2.10:5062'}${branch}`,
    'Max-Forwards: 70',
    `From: <sip:${o.fromUser ?? 'alice'}@example.com>;tag=${o.fromTag ?? 'from-1'}`,
    `To: <sip:bob@example.com>${o.toTag === undefined ? '' : `;tag=${o.toTag}`}`,
    `Call-ID: ${o.callId ?? 'call-1@example.com'}`,
    `CSeq: ${o.cseq ?? 1} ${o.cseqMethod ?? method}`,
    ...(o.extraHeaders ?? []),
    'Content-Length: 0',
  ];
  return parse(`${lines.join('\r\n')}\r\n\r\n`);
}

export function parse(text: string): SipMessage {
  const message = parseMessage(Buffer.from(text));
  if (message instanceof Error) throw message;
  return message;
}

/** A response to `req` with a fixed To tag for non-100 responses. */
export function reply(req: SipMessage, status: number, toTag = 'to-1'): SipMessage {
  return createResponse(req, status, undefined, status > 100 ? { toTag } : undefined);
}
