// Memory per binding: one million REGISTERs (parsed, as the server gets them) into the location
// service, then a forced GC; heap and RSS growth divided by the number of bindings. The store is
// left out (a repository that keeps nothing): with sqlite the rows live on disk, not in the heap.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { LocationService } from '../src/registrar/location-service.js';
import { DEFAULT_REGISTRAR_SETTINGS, Registrar } from '../src/registrar/registrar.js';
import { SipParseError } from '../src/sip/errors.js';
import { parseMessage } from '../src/sip/parser.js';
import { TimerHeap } from '../src/transaction/timer-heap.js';
import type { BindingRepository } from '../src/store/types.js';
import type { SocketIdentity } from '../src/transport/types.js';

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function registerFor(i: number, address: string): Buffer {
  return Buffer.from([
    'REGISTER sip:example.com SIP/2.0',
    `Via: SIP/2.0/UDP ${address}:5060;branch=z9hG4bK${i.toString(36)}x7f;rport`,
    'Max-Forwards: 70',
    `From: <sip:user${i}@example.com>;tag=${i.toString(36)}`,
    `To: <sip:user${i}@example.com>`,
    `Call-ID: ${i.toString(36)}-a84b4c76e66710@pc33.example.com`,
    'CSeq: 1 REGISTER',
    `Contact: <sip:user${i}@${address}:5060;transport=udp>;expires=3600`,
    'User-Agent: Pidgin 2.14.12 (libpurple 2.14.12)',
    'Content-Length: 0',
    '', '',
  ].join('\r\n'));
}

export async function runMemoryBench(count = 1_000_000): Promise<{ heapPerBinding: number; rssPerBinding: number }> {
  const gc = forceGc();
  const repository: BindingRepository = { all: async () => [], put: async () => {}, remove: async () => {} };
  const location = new LocationService({ repository, timers: new TimerHeap({ autoRun: false }) });
  const registrar = new Registrar(location, DEFAULT_REGISTRAR_SETTINGS);
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const msg = parseMessage(registerFor(i, address));
    if (msg instanceof SipParseError) throw msg;
    const source: SocketIdentity = {
      protocol: 'udp', listener: 'udp [::]:5060',
      local: { address: '::', port: 5060, family: 6 }, remote: { address, port: 5060, family: 4 },
    };
    await registrar.register(msg, source);
  }
  const seconds = (performance.now() - started) / 1000;
  gc();
  const heapPerBinding = (process.memoryUsage().heapUsed - heapBefore) / count;
  const rssPerBinding = (process.memoryUsage().rss - rssBefore) / count;
  console.log(`\nMemory per binding (${count} REGISTERs through the registrar in ${seconds.toFixed(1)} s, forced GC)`);
  console.log(`  bindings: ${location.counts().bindings}, heap ${heapPerBinding.toFixed(0)} B/binding, RSS ${rssPerBinding.toFixed(0)} B/binding (Kamailio usrloc ~1170 B/contact)`);
  location.close();
  return { heapPerBinding, rssPerBinding };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMemoryBench(Number(process.env.BINDINGS ?? 1_000_000)).catch((err: unknown) => { console.error(err); process.exit(1); });
}
