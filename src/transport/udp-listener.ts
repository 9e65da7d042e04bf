// A UDP listener: one socket, IPv4, IPv6 or dual-stack (RFC 3261 18; keepalives RFC 5626 4.4.2, 8).
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { classifyDatagram } from '../sip/framing.js';
import { formatHostPort } from '../sip/uri.js';
import { normalizeSocketAddress, socketAddressFor } from './address.js';
import { fromSystemError } from './errors.js';
import type { InboundHandler } from './inbound.js';
import { bindPlans, boundFamilies, isNoIPv6Error, listenerDescription, listenerName, type BindPlan } from './listener-address.js';
import type { ListenSpec } from './listen-spec.js';
import { probeTarget, QueueDelayProbe } from './queue-delay-probe.js';
import type { AddressFamily, Endpoint, ListenerInfo, SocketIdentity, TransportLogger } from './types.js';

export interface UdpListenerOptions {
  /** SO_RCVBUF and SO_SNDBUF; the kernel may cap them (net.core.rmem_max), which is logged, not fatal. */
  bufferSize: number;
  /** Answers a STUN Binding request from `remote`, or undefined to ignore it. */
  answerStun(request: Buffer, remote: Endpoint): Buffer | undefined;
}

/** RFC 5389 6: the class bits C1 (0x0100) and C0 (0x0010) of the type; C1 set = success or error response. */
function isStunResponse(data: Buffer): boolean {
  return (data.readUInt16BE(0) & 0x0100) !== 0;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * The socket's address lookup: the transport hands it IP literals only (send() refuses names), so they
 * are answered at once; dgram's default, dns.lookup, answers them on the next tick, once per datagram.
 */
function literalLookup(host: string, options: LookupOneOptions, callback: LookupCallback): void {
  // Datagrams mostly go to the peer just sent to: its family is remembered.
  if (host !== lastLiteral) {
    const family = isIP(host);
    if (family === 0) {
      dnsLookup(host, options, callback);
      return;
    }
    lastLiteral = host;
    lastFamily = family;
  }
  callback(null, host, lastFamily);
}

let lastLiteral = '';
let lastFamily = 4;

function bindSocket(plan: BindPlan, port: number): Promise<Socket> {
  const type = plan.address.includes(':') ? 'udp6' : 'udp4';
  const socket = createSocket({ type, ipv6Only: plan.ipv6Only, lookup: literalLookup });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ address: plan.address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

export class UdpListener {
  readonly info: ListenerInfo;
  private readonly socketFamily: AddressFamily;
  private readonly local: Endpoint;
  private probe: QueueDelayProbe | undefined;

  private constructor(
    private readonly socket: Socket,
    plan: BindPlan,
    private readonly handler: InboundHandler,
    private readonly options: UdpListenerOptions,
    private readonly log: TransportLogger,
  ) {
    const bound = socket.address();
    const families = boundFamilies('udp', bound.address, plan.ipv6Only);
    const name = listenerName('udp', bound.address, bound.port);
    this.info = { protocol: 'udp', address: bound.address, port: bound.port, families, name, description: listenerDescription(name, families) };
    this.info.receiveBufferSize = this.setBuffers();
    this.socketFamily = bound.family === 'IPv6' ? 6 : 4;
    // Node cannot tell which local address a datagram on a wildcard socket was sent to: report the bound one.
    this.local = { address: bound.address, port: bound.port, family: this.socketFamily };
    socket.on('message', (data, rinfo) => this.onDatagram(data, rinfo.address, rinfo.port));
    socket.on('error', (err) => this.log.error({ listener: name, err: err.message }, 'UDP socket error'));
  }

  static async open(spec: ListenSpec, handler: InboundHandler, options: UdpListenerOptions, log: TransportLogger): Promise<UdpListener> {
    const plans = bindPlans(spec.host);
    for (let i = 0; ; i++) {
      try {
        const socket = await bindSocket(plans[i], spec.port);
        return new UdpListener(socket, plans[i], handler, options, log);
      } catch (err) {
        if (i + 1 < plans.length && isNoIPv6Error(err)) {
          log.info({ spec: `udp:*:${spec.port}` }, 'no IPv6 on this host: listening on IPv4 only');
          continue;
        }
        throw fromSystemError(err, listenerName('udp', plans[i].address, spec.port));
      }
    }
  }

  /** Returns SO_RCVBUF as the kernel reports it. */
  private setBuffers(): number {
    const size = this.options.bufferSize;
    try {
      this.socket.setRecvBufferSize(size);
      this.socket.setSendBufferSize(size);
      // Linux reports twice the value it grants (socket(7)); less than asked means the kernel capped it.
      const granted = Math.floor(this.socket.getRecvBufferSize() / 2);
      if (granted < size) {
        this.log.info({ listener: this.info.name, requested: size, granted }, 'UDP receive buffer capped by the kernel (net.core.rmem_max)');
      }
    } catch (err) {
      this.log.warn({ listener: this.info.name, requested: size, err: (err as Error).message }, 'cannot set UDP buffer sizes');
    }
    return this.socket.getRecvBufferSize();
  }

  /** The address, port and family the socket is bound to. */
  get boundEndpoint(): Endpoint {
    return this.local;
  }

  /** True when this socket can send to an address of `family`. */
  reaches(family: AddressFamily): boolean {
    return this.info.families.includes(family);
  }

  /** Starts measuring this socket's queue delay (see queue-delay-probe.ts); false when it cannot. */
  async startQueueProbe(): Promise<boolean> {
    if (this.probe !== undefined) return true;
    try {
      this.probe = await QueueDelayProbe.open(probeTarget(this.info.address, this.info.port));
      return true;
    } catch (err) {
      this.log.warn({ listener: this.info.name, err: (err as Error).message }, 'cannot measure the UDP queue delay of this socket: ctl stats and /metrics leave it out');
      return false;
    }
  }

  /** The socket's queue delay in ms (0 without a probe); sends the next probe. */
  sampleQueueDelay(): number {
    return this.probe === undefined ? 0 : this.probe.sample();
  }

  private onDatagram(data: Buffer, rawAddress: string, port: number): void {
    // The probe compares the source port first: one integer for every other datagram.
    if (this.probe?.accept(data, port)) return;
    const address = normalizeSocketAddress(rawAddress);
    const remote: Endpoint = { address, port, family: address.includes(':') ? 6 : 4 };
    const source: SocketIdentity = { protocol: 'udp', local: this.local, remote, listener: this.info.name };
    switch (classifyDatagram(data)) {
      case 'sip':
        this.handler.sip(data, source);
        return;
      case 'keepalive':
        // RFC 5626 4.4.1 CRLF or Pidgin's NUL byte: no answer over UDP, but the binding is alive.
        this.handler.keepalive(source, data[0] === 0 ? 'nul' : 'crlf');
        return;
      case 'stun': {
        // RFC 5626 4.4.2 / 8: STUN keepalive; RFC 5389 7.3: answer a Binding request.
        const answer = this.options.answerStun(data, remote);
        if (answer !== undefined) this.socket.send(answer, port, rawAddress);
        this.handler.keepalive(source, 'stun');
        // RFC 5626 4.4.2: a client compares the XOR-MAPPED-ADDRESS of each answer to its keepalive
        // with the last one (a change means the NAT binding moved), so responses go up as bytes.
        if (answer === undefined && isStunResponse(data)) this.handler.stunResponse(data, source);
        return;
      }
      case 'junk':
        this.log.debug({ listener: this.info.name, from: formatHostPort(address, port), bytes: data.length }, 'ignored a datagram that is not SIP');
        return;
    }
  }

  /** Sends one datagram; resolves with the identity used (RFC 3261 18.1.1). */
  send(data: Buffer, address: string, port: number, family: AddressFamily): Promise<SocketIdentity> {
    const identity = this.identityTo(address, port, family);
    return new Promise((resolve, reject) => {
      this.sendTo(data, address, port, (err) => {
        if (err) reject(err);
        else resolve(identity);
      });
    });
  }

  /** Sends one datagram; `done` gets the TransportError of a failed send. */
  sendTo(data: Buffer, address: string, port: number, done: (err: Error | undefined) => void): void {
    this.socket.send(data, port, socketAddressFor(address, this.socketFamily), (err) => {
      done(err ? fromSystemError(err, `udp to ${formatHostPort(address, port)}`) : undefined);
    });
  }

  /** The identity of a datagram from this socket to `address`:`port`. */
  identityTo(address: string, port: number, family: AddressFamily): SocketIdentity {
    return { protocol: 'udp', local: this.local, remote: { address, port, family }, listener: this.info.name };
  }

  close(): Promise<void> {
    this.probe?.close();
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch (err) {
        if (!(err instanceof Error) || (err as NodeJS.ErrnoException).code !== 'ERR_SOCKET_DGRAM_NOT_RUNNING') {
          this.log.warn({ listener: this.info.name, err: String(err) }, 'error closing UDP socket');
        }
        resolve();
      }
    });
  }
}
