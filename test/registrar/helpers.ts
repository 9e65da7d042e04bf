// Builders for registrar unit tests: REGISTER requests, socket identities, a location service on a
// manual clock with the memory store.
import { openStore, StoreError } from '../../src/store/index.js';
import type { BindingRecord, BindingRepository, BindingStore, BindingWrite } from '../../src/store/types.js';
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

/**
 * A binding repository whose writes wait for commit(), as a group commit does, and then are
 * written to `inner` or fail as a full disk makes them fail. Records are copied when written, as
 * the engines do (a later change of the caller's object is not what was written).
 */
export class ManualCommitRepository implements BindingRepository {
  private queue: Array<{ write: () => Promise<void>; resolve: () => void; reject: (err: Error) => void }> = [];

  constructor(readonly inner: BindingStore) {}

  static async open(): Promise<ManualCommitRepository> {
    return new ManualCommitRepository((await openStore({ kind: 'memory' })).bindings);
  }

  /** Writes waiting for commit(). */
  get waiting(): number {
    return this.queue.length;
  }

  all(): Promise<BindingRecord[]> {
    return this.inner.all();
  }

  put(binding: BindingRecord): Promise<void> {
    const copy = structuredClone(binding);
    return this.enqueue(() => this.inner.put(copy));
  }

  refresh(binding: BindingRecord): Promise<void> {
    const copy = structuredClone(binding);
    return this.enqueue(() => this.inner.refresh?.(copy) ?? this.inner.put(copy));
  }

  remove(id: string): Promise<void> {
    return this.enqueue(() => this.inner.remove(id));
  }

  batch(writes: readonly BindingWrite[]): Promise<void> {
    const copies = structuredClone(writes);
    return this.enqueue(() => this.inner.batch(copies));
  }

  /**
   * Ends the writes waiting: each is written (true) or fails with the disk-full StoreError (false);
   * `outcome` may give one value per write, in the order they came. Resolves once their callers ran.
   */
  async commit(outcome: boolean | boolean[] = true): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    for (const [i, w] of batch.entries()) {
      if (Array.isArray(outcome) ? outcome[i] : outcome) {
        await w.write();
        w.resolve();
      } else {
        w.reject(new StoreError('IO', 'store write failed: database or disk is full'));
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => this.queue.push({ write, resolve, reject }));
  }
}
