// A scripted SIP peer for client tests: the project's TransportManager + TransactionLayer on
// loopback, answering each request with what the test's script says and recording everything.
import { createRequest, createResponse, newBranch, newCallId } from '../../src/sip/builder.js';
import type { SipMessage } from '../../src/sip/message.js';
import { formatHostPort } from '../../src/sip/uri.js';
import { TransactionLayer } from '../../src/transaction/transaction-layer.js';
import { TransportManager } from '../../src/transport/transport-manager.js';
import type { KeepaliveKind, SocketIdentity, TransportProtocol } from '../../src/transport/types.js';

export type Answer = { status: number; headers?: Array<[string, string]>; body?: string; contentType?: string } | 'drop';
export type Script = (request: SipMessage, source: SocketIdentity) => Answer;

export class ScriptedPeer {
  readonly requests: SipMessage[] = [];
  readonly sources: SocketIdentity[] = [];
  readonly keepalives: Array<{ kind: KeepaliveKind; source: SocketIdentity }> = [];
  readonly wire: string[] = [];
  script: Script = () => ({ status: 200 });
  private constructor(readonly transport: TransportManager, readonly layer: TransactionLayer, readonly ports: Map<TransportProtocol, number>, readonly host: string) {}

  static async start(host = '127.0.0.1', protocols: TransportProtocol[] = ['udp'], timers = { t1: 50, t2: 400, t4: 500 }): Promise<ScriptedPeer> {
    const transport = new TransportManager();
    const layer = new TransactionLayer({ transport, ...timers });
    const ports = new Map<TransportProtocol, number>();
    const h = host.includes(':') ? `[${host}]` : host;
    for (const p of protocols) ports.set(p, (await transport.listen(`${p}:${h}:0`)).port);
    const peer = new ScriptedPeer(transport, layer, ports, host);
    transport.on('message', (m, s) => layer.receive(m, s));
    transport.on('keepalive', (source, kind) => peer.keepalives.push({ kind, source }));
    transport.on('trace', (direction, data) => { if (direction === 'in') peer.wire.push(data.toString('latin1')); });
    layer.on('request', (tx, request, source) => {
      peer.requests.push(request);
      peer.sources.push(source);
      const answer = peer.script(request, source);
      if (answer === 'drop') return;
      tx.respond(createResponse(request, answer.status, undefined, { headers: answer.headers, body: answer.body, contentType: answer.contentType }));
    });
    return peer;
  }

  uri(protocol: TransportProtocol = 'udp'): string {
    return `sip:${formatHostPort(this.host, this.ports.get(protocol))}${protocol === 'udp' ? '' : `;transport=${protocol}`}`;
  }

  of(method: string): SipMessage[] {
    return this.requests.filter((r) => r.method === method);
  }

  /** Sends a request to the UA and resolves with its final response. */
  send(target: { address: string; port: number; protocol?: TransportProtocol }, init: { method: string; uri: string; from: string; to: string; callId?: string; cseq?: number; headers?: Array<[string, string]>; body?: string; contentType?: string }): Promise<SipMessage> {
    const protocol = target.protocol ?? 'udp';
    const via = `SIP/2.0/${protocol.toUpperCase()} ${formatHostPort(this.host, this.ports.get(protocol))};branch=${newBranch()}`;
    const request = createRequest({ ...init, callId: init.callId ?? newCallId(), via });
    const tx = this.layer.sendRequest(request, { protocol, address: target.address, port: target.port });
    return new Promise((resolve, reject) => {
      tx.once('final', resolve);
      tx.once('timeout', () => reject(new Error('no response')));
      tx.once('transport-error', reject);
    });
  }

  async stop(): Promise<void> {
    this.layer.close();
    await this.transport.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
