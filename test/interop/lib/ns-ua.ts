// A simplesip UserAgent that lives in a lab namespace for as long as a test needs it: started with
// `ip netns exec NS node --import tsx ns-ua.ts JSON-OPTIONS`, driven by one JSON command per line on
// stdin, reporting one JSON object per line on stdout (its events, and one `done` per command).
// The test process cannot hold the UA itself: it lives in another network namespace.
import { createInterface } from 'node:readline';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent, type UserAgentOptions } from '../../../src/index.js';

export type UaCommand =
  | { id: number; op: 'register' }
  | { id: number; op: 'publish'; basic: 'open' | 'closed'; note?: string }
  | { id: number; op: 'subscribe'; buddy: string }
  | { id: number; op: 'send'; to: string; body: string }
  | { id: number; op: 'close' };

/** Options that JSON can carry (the rest are the UA's defaults). */
export type NsUaOptions = Omit<UserAgentOptions, 'dns' | 'localAddressFor' | 'tls'>;

function out(o: object): void {
  process.stdout.write(`${JSON.stringify({ at: Date.now(), ...o })}\n`);
}

async function run(ua: UserAgent, c: UaCommand): Promise<object> {
  switch (c.op) {
    case 'register': await ua.register(); return {};
    case 'publish': await ua.setPresence({ basic: c.basic, note: c.note }); return {};
    case 'subscribe': await ua.subscribe(c.buddy); return {};
    case 'send': return { result: await ua.sendMessage(c.to, c.body) };
    case 'close': await ua.close(); return {};
  }
}

const options = JSON.parse(process.argv[2] ?? '{}') as NsUaOptions;
const ua = new UserAgent({ stateDir: mkdtempSync(join(tmpdir(), 'ns-ua-')), localPorts: { min: 0, max: 0 }, ...options });
ua.on('registered', (e) => out({ event: 'registered', contact: e.contact, expires: e.expires }));
ua.on('unregistered', (e) => out({ event: 'unregistered', reason: e.reason }));
ua.on('message', (m) => out({ event: 'message', from: m.from, body: m.body }));
ua.on('presence', (p) => out({ event: 'presence', buddy: p.buddy, basic: p.basic, subscription: p.subscription }));
ua.on('error', (e) => out({ event: 'error', code: e.code, message: e.message }));

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const c = JSON.parse(line) as UaCommand;
  try {
    out({ done: c.id, ok: true, ...(await run(ua, c)) });
  } catch (err) {
    out({ done: c.id, ok: false, error: (err as Error).message });
  }
  if (c.op === 'close') break;
}
// stdin closed or `close` done: leave (a SIGKILL from the test is the other way out).
await ua.close();
process.exit(0);
