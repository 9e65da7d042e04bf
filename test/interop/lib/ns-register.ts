// Run inside a lab namespace (`ip netns exec NS node --import tsx ns-register.ts JSON`): registers
// and unregisters one user at a server, with a raw SIP client (connected socket, so that an ICMP
// unreachable or a RST is an error at once), and with simplesip's UserAgent, which also publishes
// presence to a watcher and exchanges a MESSAGE each way with it before unregistering. Prints one JSON line
// per attempt: { tool, ok, ms, error? }. Never hangs: every attempt has a deadline.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent } from '../../../src/index.js';
import { StreamFramer } from '../../../src/sip/framing.js';

export interface Attempt {
  server: string;
  port: number;
  transport: 'udp' | 'tcp';
  user: string;
}

// Register, presence and messages both ways for the UserAgent; unreachable ends earlier (Timer F: 3.2 s).
const DEADLINE_MS = 6000;

function bracket(a: string): string {
  return a.includes(':') ? `[${a}]` : a;
}

/** Our address of the server's family, or a clear reason why there is none. */
function localAddress(server: string): string {
  const v6 = server.includes(':');
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (!info.internal && (info.family === 'IPv6') === v6 && !info.address.startsWith('fe80')) return info.address;
  }
  throw new Error(`client has no IPv${v6 ? 6 : 4} address`);
}

function registerText(a: Attempt, local: string, localPort: number, expires: number, cseq: number, callId: string): string {
  const via = `SIP/2.0/${a.transport.toUpperCase()} ${bracket(local)}:${localPort};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`;
  const domain = bracket(a.server);
  return [
    `REGISTER sip:${domain}:${a.port} SIP/2.0`, `Via: ${via}`, 'Max-Forwards: 70',
    `From: <sip:${a.user}@${domain}>;tag=t${cseq}`, `To: <sip:${a.user}@${domain}>`, `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`, `Contact: <sip:${a.user}@${bracket(local)}:${localPort};transport=${a.transport}>`,
    `Expires: ${expires}`, 'Content-Length: 0', '', '',
  ].join('\r\n');
}

/** The raw client: REGISTER then un-REGISTER, each answered 200. */
async function raw(a: Attempt): Promise<void> {
  const local = localAddress(a.server);
  const callId = `ns-${Math.random().toString(36).slice(2)}`;
  const statusOf = (text: string): number => Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
  if (a.transport === 'udp') {
    const sock = createSocket(a.server.includes(':') ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.bind(0, local, () => resolve()); });
      await new Promise<void>((resolve, reject) => { sock.once('error', reject); sock.connect(a.port, a.server, () => resolve()); });
      for (const [cseq, expires] of [[1, 60], [2, 0]] as const) {
        const reply = new Promise<string>((resolve, reject) => {
          sock.once('message', (m) => resolve(m.toString()));
          sock.once('error', (e) => reject(e));
        });
        sock.send(registerText(a, local, sock.address().port, expires, cseq, callId));
        const status = statusOf(await reply);
        if (status !== 200) throw new Error(`REGISTER (Expires ${expires}) answered ${status}`);
      }
    } finally {
      sock.close();
    }
    return;
  }
  const s = connect({ host: a.server, port: a.port, localAddress: local });
  try {
    await new Promise<void>((resolve, reject) => { s.once('connect', resolve); s.once('error', reject); });
    const framer = new StreamFramer();
    const replies: string[] = [];
    let wake: (() => void) | undefined;
    s.on('data', (c: Buffer) => {
      for (const ev of framer.push(c)) if (ev.type === 'message') replies.push(ev.data.toString());
      wake?.();
    });
    for (const [cseq, expires] of [[1, 60], [2, 0]] as const) {
      s.write(registerText(a, local, s.localPort ?? 0, expires, cseq, callId));
      while (replies.length === 0) await new Promise<void>((resolve, reject) => { wake = resolve; s.once('error', reject); });
      const status = statusOf(replies.shift() ?? '');
      if (status !== 200) throw new Error(`REGISTER (Expires ${expires}) answered ${status}`);
    }
  } finally {
    s.destroy();
  }
}

function uaFor(a: Attempt, user: string): UserAgent {
  const domain = bracket(a.server);
  return new UserAgent({
    aor: `sip:${user}@${domain}`, server: `sip:${domain}:${a.port};transport=${a.transport}`,
    localPorts: { min: 0, max: 0 }, stateDir: mkdtempSync(join(tmpdir(), 'ns-ua-')),
    timers: { t1: 50, t2: 400, t4: 500 }, networkCheckIntervalMs: 0, closeTimeoutMs: 1000, outbound: false,
  });
}

/** Resolves with the first event `pick` accepts, or rejects after `ms`. */
function until<T>(ua: UserAgent, event: 'presence' | 'message', pick: (e: T) => boolean, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ua.off(event, on as never); reject(new Error(`${what} within ${ms} ms`)); }, ms);
    const on = (e: T): void => {
      if (!pick(e)) return;
      clearTimeout(timer);
      ua.off(event, on as never);
      resolve(e);
    };
    ua.on(event, on as never);
  });
}

/**
 * simplesip's own client library, two of them on this host: both register, the watcher subscribes
 * to the user's presence, the user publishes open (RFC 3903) and the watcher is told (NOTIFY, RFC
 * 3856), a MESSAGE goes each way (RFC 3428), then both close (un-SUBSCRIBE, un-PUBLISH, un-REGISTER).
 */
async function userAgent(a: Attempt): Promise<void> {
  localAddress(a.server);
  const ua = uaFor(a, a.user);
  const watcher = uaFor(a, `${a.user}-w`);
  try {
    await ua.register();
    await watcher.register();
    const open = until<{ buddy: string; basic: string }>(watcher, 'presence', (p) => p.buddy === ua.aor && p.basic === 'open', 3000, 'watcher never saw open');
    await watcher.subscribe(ua.aor);
    await ua.setPresence({ basic: 'open', note: 'network matrix' });
    await open;
    const got = until<{ body: string }>(watcher, 'message', (m) => m.body === 'to the watcher', 3000, 'MESSAGE to the watcher not received');
    const sent = await ua.sendMessage(watcher.aor, 'to the watcher');
    if (sent.status !== 200) throw new Error(`MESSAGE to the watcher answered ${sent.status} ${sent.reason}`);
    await got;
    const back = until<{ body: string }>(ua, 'message', (m) => m.body === 'back to the user', 3000, 'MESSAGE back not received');
    const reply = await watcher.sendMessage(ua.aor, 'back to the user');
    if (reply.status !== 200) throw new Error(`MESSAGE back answered ${reply.status} ${reply.reason}`);
    await back;
  } finally {
    await Promise.all([ua.close(), watcher.close()]);
  }
}

async function attempt(tool: 'raw' | 'ua', a: Attempt): Promise<void> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS); });
  try {
    await Promise.race([tool === 'raw' ? raw(a) : userAgent(a), deadline]);
    console.log(JSON.stringify({ tool, ...a, ok: true, ms: Date.now() - started }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const error = e.code ? `${e.code}: ${e.message}` : e.message;
    console.log(JSON.stringify({ tool, ...a, ok: false, ms: Date.now() - started, error }));
  } finally {
    clearTimeout(timer);
  }
}

const attempts = JSON.parse(process.argv[2] ?? '[]') as Attempt[];
for (const a of attempts) {
  await attempt('raw', a);
  await attempt('ua', { ...a, user: `${a.user}-ua` });
}
process.exit(0);
