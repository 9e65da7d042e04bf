// Presence fan-out: one PUBLISH, N watchers (1,000 and 10,000) subscribed over UDP to one presentity.
// Figures: time from the PUBLISH until the last NOTIFY is handed to the transaction layer and until
// the last one arrived at the watchers, NOTIFYs per second, and the presence agent's memory per
// subscription (parsed SUBSCRIBEs through the real handler into the real table, then a forced GC).
// The watchers live in this process and answer every NOTIFY with a 200, so they share the CPU with
// the server: the rates are a floor.
import { createSocket, type Socket } from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pino } from 'pino';
import { handleSubscribe, type SubscribeContext } from '../src/presence/subscribe-handler.js';
import { SubscriptionTable } from '../src/presence/subscription-table.js';
import { defaultServerConfig } from '../src/server/config.js';
import { SipServer } from '../src/server/sip-server.js';
import { createResponse } from '../src/sip/builder.js';
import { SipParseError } from '../src/sip/errors.js';
import type { SipMessage } from '../src/sip/message.js';
import { parseMessage } from '../src/sip/parser.js';
import type { SubscriptionRepository } from '../src/store/types.js';
import { TimerHeap } from '../src/transaction/timer-heap.js';
import type { SocketIdentity } from '../src/transport/types.js';

const HOST = '127.0.0.1';
const SOCKETS = 20;
const BATCH = 100;

function forceGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function subscribeText(i: number, port: number, serverPort: number): string {
  return [
    `SUBSCRIBE sip:bob@${HOST}:${serverPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${port};branch=z9hG4bK${i.toString(36)}s${Date.now().toString(36)};rport`,
    'Max-Forwards: 70',
    `From: <sip:watcher${i}@${HOST}>;tag=w${i}`,
    `To: <sip:bob@${HOST}>`,
    `Call-ID: sub-${i}-${Date.now().toString(36)}@bench`,
    'CSeq: 1 SUBSCRIBE',
    `Contact: <sip:watcher${i}@${HOST}:${port}>`,
    'Event: presence',
    'Accept: application/pidf+xml',
    'Expires: 3600',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
}

function registerText(serverPort: number, port: number): string {
  return [
    `REGISTER sip:${HOST}:${serverPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${port};branch=z9hG4bKreg${Date.now().toString(36)};rport`,
    'Max-Forwards: 70', `From: <sip:bob@${HOST}>;tag=reg`, `To: <sip:bob@${HOST}>`, `Call-ID: reg-${Date.now()}@bench`,
    'CSeq: 1 REGISTER', `Contact: <sip:bob@${HOST}:${port}>`, 'Expires: 3600', 'Content-Length: 0', '', '',
  ].join('\r\n');
}

function publishText(serverPort: number, port: number): string {
  const body = `<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:bob@${HOST}"><tuple id="b"><status><basic>open</basic></status><note>in a meeting</note></tuple></presence>`;
  return [
    `PUBLISH sip:bob@${HOST}:${serverPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${port};branch=z9hG4bKpub${Date.now().toString(36)};rport`,
    'Max-Forwards: 70', `From: <sip:bob@${HOST}>;tag=pub`, `To: <sip:bob@${HOST}>`, `Call-ID: pub-${Date.now()}@bench`,
    'CSeq: 1 PUBLISH', 'Event: presence', 'Expires: 3600', 'Content-Type: application/pidf+xml',
    `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
}

interface Watchers {
  sockets: Socket[];
  onNotify: (n: SipMessage) => void;
  onResponse: (r: SipMessage) => void;
}

async function openWatchers(count: number): Promise<Watchers> {
  const w: Watchers = { sockets: [], onNotify: () => {}, onResponse: () => {} };
  for (let i = 0; i < count; i++) {
    const s = createSocket('udp4');
    s.on('message', (data, rinfo) => {
      const msg = parseMessage(data);
      if (msg instanceof SipParseError) return;
      if (msg.kind === 'response') {
        w.onResponse(msg);
        return;
      }
      s.send(createResponse(msg, 200).toBuffer(), rinfo.port, rinfo.address);
      if (msg.method === 'NOTIFY') w.onNotify(msg);
    });
    await new Promise<void>((resolve) => s.bind(0, HOST, resolve));
    s.setRecvBufferSize(8 * 1024 * 1024);
    w.sockets.push(s);
  }
  return w;
}

async function fanOut(watchers: number): Promise<void> {
  const config = {
    ...defaultServerConfig(), listen: [`udp:${HOST}:0`], store: 'memory' as const, auth: false, probeIntervalSeconds: 0, maxWatchers: watchers,
  };
  const server = new SipServer(config, pino({ level: 'silent' }));
  const [listener] = await server.start();
  const w = await openWatchers(SOCKETS);
  let lastHanded = 0;
  const send = server.transactions.sendRequest.bind(server.transactions);
  server.transactions.sendRequest = (request, target) => {
    if (request.method === 'NOTIFY') lastHanded = performance.now();
    return send(request, target);
  };
  try {
    // Bob is registered (composition: no binding means offline whatever is published).
    const registered = new Promise<void>((resolve) => { w.onResponse = (r) => { if (r.status === 200) resolve(); }; });
    w.sockets[0].send(registerText(listener.port, w.sockets[0].address().port), listener.port, HOST);
    await registered;
    // Subscribe in batches: each SUBSCRIBE gets its 200 and its first NOTIFY.
    for (let start = 0; start < watchers; start += BATCH) {
      const n = Math.min(BATCH, watchers - start);
      // Counted by first NOTIFY (the server retransmits it until answered; a lost 200 is not retried
      // by this raw client), one per dialog.
      const seen = new Set<string>();
      const done = new Promise<void>((resolve) => {
        w.onResponse = () => {};
        w.onNotify = (m) => {
          seen.add(m.callId());
          if (seen.size === n) resolve();
        };
      });
      for (let i = start; i < start + n; i++) {
        const s = w.sockets[i % SOCKETS];
        s.send(subscribeText(i, s.address().port, listener.port), listener.port, HOST);
      }
      await done;
    }
    // One PUBLISH: every watcher gets a NOTIFY with the note.
    const received = new Set<string>();
    let lastReceived = 0;
    const all = new Promise<void>((resolve) => {
      w.onNotify = (n) => {
        if (!n.body.includes('in a meeting')) return;
        received.add(n.callId());
        if (received.size === watchers) {
          lastReceived = performance.now();
          resolve();
        }
      };
    });
    const publisher = w.sockets[0];
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    publisher.send(publishText(listener.port, publisher.address().port), listener.port, HOST);
    await all;
    const used = process.cpuUsage(cpu);
    const handed = lastHanded - t0;
    const arrived = lastReceived - t0;
    console.log(
      `  ${String(watchers).padStart(6)} watchers: last NOTIFY sent after ${handed.toFixed(0)} ms, last received after ${arrived.toFixed(0)} ms; ` +
      `${Math.round(watchers / (arrived / 1000)).toLocaleString('en')} NOTIFYs/s delivered and answered; ` +
      `process CPU ${((used.user + used.system) / 1000 / watchers * 1000).toFixed(0)} us per NOTIFY (server and watchers)`,
    );
  } finally {
    for (const s of w.sockets) s.close();
    await server.stop();
  }
}

const NOWHERE: SubscriptionRepository = { all: async () => [], put: async () => {}, remove: async () => {} };

/** Heap and RSS per subscription in the agent's table (the store keeps rows on disk, not in the heap). */
async function memoryPerSubscription(count: number): Promise<void> {
  const gc = forceGc();
  const table = new SubscriptionTable(NOWHERE, () => {}, Date.now, new TimerHeap({ autoRun: false }));
  const ctx: SubscribeContext = {
    subscriptions: table, limits: { min: 60, max: 3600, fallback: 3600 }, now: Date.now,
    knownPresentity: () => true, overLimit: () => undefined, notify: () => {}, unsubscribe: async () => undefined, fetch: () => {}, watchersChanged: () => {},
  };
  const source = (port: number): SocketIdentity => ({
    protocol: 'udp', local: { address: HOST, port: 5060, family: 4 }, remote: { address: HOST, port, family: 4 }, listener: `udp ${HOST}:5060`,
  });
  gc();
  const before = process.memoryUsage();
  for (let i = 0; i < count; i++) {
    const port = 10000 + (i % 50000);
    const msg = parseMessage(Buffer.from(subscribeText(i, port, 5060)));
    if (msg instanceof SipParseError) throw msg;
    await handleSubscribe(msg, source(port), ctx);
  }
  gc();
  const after = process.memoryUsage();
  console.log(
    `  memory per subscription (${count.toLocaleString('en')} in the table): ` +
    `${Math.round((after.heapUsed - before.heapUsed) / count)} B heap, ${Math.round((after.rss - before.rss) / count)} B RSS`,
  );
  table.close();
}

export async function runPresenceBench(): Promise<void> {
  console.log('\nPresence: one PUBLISH fanned out to N watchers (UDP, loopback, memory store)');
  for (const n of [1000, 10000]) await fanOut(n);
  await memoryPerSubscription(100000);
  console.log('  Kamailio presence comparison: not run (kamailio-presence-modules is not installed here; see README Benchmarks)');
}
