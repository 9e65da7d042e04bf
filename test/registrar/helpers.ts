// Builders for registrar unit tests: REGISTER requests, socket identities, a location service on a
// manual clock with the memory store.
import { openStore } from '../../src/store/index.js';
import type { BindingRepository } from '../../src/store/types.js';
import { SipParseError } from '../../src/sip/errors.js';
import { parseMessage } from '../../src/sip/parser.js';
import type { SipMessage } from '../../src/sip/message.js';
import { LocationService } from '../../src/registrar/location-service.js';
import { DEFAULT_REGISTRAR_SETTINGS, Registrar, type RegistrarSettings } from '../../src/registrar/registrar.js';
import type { BindingChange } from '../../src/registrar/types.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import type { SocketIdentity } from '../../src/transport/types.js';

export interface RegisterSpec {
  aor?: string;
  callId?: string;
  cseq?: number;
  contacts?: string[];
  expires?: number;
  headers?: string[];
}

export function register(spec: RegisterSpec = {}): SipMessage {
  const aor = spec.aor ?? 'sip:alice@example.com';
  const lines = [
    'REGISTER sip:example.com SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK${Math.random().toString(36).slice(2)}`,
    'Max-Forwards: 70',
    `From: <${aor}>;tag=f1`,
    `To: <${aor}>`,
    `Call-ID: ${spec.callId ?? 'call-1'}`,
    `CSeq: ${spec.cseq ?? 1} REGISTER`,
    ...(spec.contacts ?? []).map((c) => `Contact: ${c}`),
    ...(spec.expires === undefined ? [] : [`Expires: ${spec.expires}`]),
    ...(spec.headers ?? []),
    'Content-Length: 0',
  ];
  const msg = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`));
  if (msg instanceof SipParseError) throw msg;
  return msg;
}

export function udpSource(address = '127.0.0.1', port = 5070): SocketIdentity {
  const family = address.includes(':') ? 6 : 4;
  return {
    protocol: 'udp',
    local: { address: family === 6 ? '::' : '0.0.0.0', port: 5060, family },
    remote: { address, port, family },
    listener: family === 6 ? 'udp [::]:5060' : 'udp 0.0.0.0:5060',
  };
}

export function tcpSource(connectionId: string, address = '127.0.0.1', port = 40000): SocketIdentity {
  return {
    protocol: 'tcp',
    local: { address: '127.0.0.1', port: 5060, family: 4 },
    remote: { address, port, family: 4 },
    listener: 'tcp 127.0.0.1:5060',
    connectionId,
  };
}

export interface Rig {
  clock: { now: number };
  timers: TimerHeap;
  location: LocationService;
  registrar: Registrar;
  repository: BindingRepository;
  changes: BindingChange[];
  /** Moves the clock and fires the timers that are due. */
  advance(ms: number): void;
}

export async function rig(settings: Partial<RegistrarSettings> = {}, repository?: BindingRepository): Promise<Rig> {
  const clock = { now: 1_700_000_000_000 };
  const timers = new TimerHeap({ now: () => clock.now, autoRun: false });
  const repo = repository ?? (await openStore({ kind: 'memory' })).bindings;
  const location = new LocationService({ repository: repo, timers, now: () => clock.now });
  const changes: BindingChange[] = [];
  location.on('change', (c) => changes.push(c));
  const registrar = new Registrar(location, { ...DEFAULT_REGISTRAR_SETTINGS, ...settings });
  return {
    clock, timers, location, registrar, repository: repo, changes,
    advance(ms: number) {
      clock.now += ms;
      timers.runDue();
    },
  };
}

/** Header values of an answer, by name. */
export function headerValues(answer: { headers: Array<[string, string]> }, name: string): string[] {
  return answer.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
}
