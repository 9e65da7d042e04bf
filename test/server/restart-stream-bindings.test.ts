// Bindings made over TCP, across a restart of the server process (SQLite): their connections died
// with the old process. Found by test/interop/server-restart.test.ts and a finch-over-TCP restart:
//  - connection ids were `tcp-1`, `tcp-2`, ... per process, so a restored binding named the id the
//    first new connection gets: a MESSAGE for bob (restored) went to carol, who had just connected;
//  - a plain (non-outbound) TCP binding was restored and listed, "online", though nothing can reach
//    it: it goes, as it would have when its connection closed;
//  - a restored RFC 5626 flow stays (5.3) but counts as closed: its MESSAGEs are stored (202) until
//    the UA registers again, and its presence is closed.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCtl } from '../cli/ctl-run.js';
import { startCliServer } from '../helpers/cli-process.js';
import { freePort } from '../helpers/free-port.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';

const root = join(import.meta.dirname, '..', '..');
const DOMAIN = '127.0.0.1';

async function startCli(dataDir: string, sipPort: number, control: string): Promise<ChildProcessWithoutNullStreams> {
  return startCliServer(['--listen', `tcp:${DOMAIN}:${sipPort}`,
    '--auth', 'off', '--store', 'sqlite', '--data', dataDir, '--log-level', 'error', '--control', control, '--probe-interval', '0'], root);
}

async function register(c: SipEndpoint, user: string, outbound: boolean): Promise<number> {
  const instance = outbound ? `;+sip.instance="<urn:uuid:00000000-0000-4000-8000-00000000000${user.length}>";reg-id=1` : '';
  c.send([
    `REGISTER sip:${DOMAIN} SIP/2.0`, `Via: SIP/2.0/TCP ${c.sentBy};branch=z9hG4bK${user}${Date.now()};rport`, 'Max-Forwards: 70',
    `From: <sip:${user}@${DOMAIN}>;tag=${user}`, `To: <sip:${user}@${DOMAIN}>`, `Call-ID: restart-${user}-${Date.now()}`, 'CSeq: 1 REGISTER',
    `Contact: <sip:${user}@${c.sentBy};transport=tcp${outbound ? ';ob' : ''}>${instance}`, ...(outbound ? ['Supported: outbound'] : []),
    'Expires: 600', 'Content-Length: 0', '', '',
  ].join('\r\n'));
  return (await c.finalResponse()).status;
}

async function message(c: SipEndpoint, to: string, body: string): Promise<number> {
  c.send([
    `MESSAGE sip:${to}@${DOMAIN} SIP/2.0`, `Via: SIP/2.0/TCP ${c.sentBy};branch=z9hG4bKm${Date.now()};rport`, 'Max-Forwards: 70',
    `From: <sip:dave@${DOMAIN}>;tag=d`, `To: <sip:${to}@${DOMAIN}>`, `Call-ID: restart-msg-${Date.now()}`, 'CSeq: 1 MESSAGE',
    'Content-Type: text/plain', `Content-Length: ${body.length}`, '', body,
  ].join('\r\n'));
  return (await c.finalResponse(10000)).status;
}

test('after a restart, TCP bindings of the old process reach nobody new: flows kept but closed, plain ones gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'restart-streams-'));
  const port = await freePort(DOMAIN);
  const control = `127.0.0.1:${await freePort('127.0.0.1')}`;
  let server = await startCli(dir, port, control);
  const clients: SipEndpoint[] = [];
  try {
    // The old process: bob (an RFC 5626 flow) and pat (plain TCP) register, one connection each.
    const bob = await SipEndpoint.open('tcp', DOMAIN, port);
    const pat = await SipEndpoint.open('tcp', DOMAIN, port);
    clients.push(bob, pat);
    assert.equal(await register(bob, 'bob', true), 200);
    assert.equal(await register(pat, 'pat', false), 200);

    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    server = await startCli(dir, port, control);

    // The new process: carol's and dave's are its first connections.
    const carol = await SipEndpoint.open('tcp', DOMAIN, port);
    const dave = await SipEndpoint.open('tcp', DOMAIN, port);
    clients.push(carol, dave);
    assert.equal(await register(carol, 'carol', false), 200);

    const ul = await runCtl(['ul', 'show', '--json', '--control', control]);
    const aors = ul.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { aor: string }).aor).sort();
    assert.deepEqual(aors, [`sip:bob@${DOMAIN}`, `sip:carol@${DOMAIN}`], 'bob\'s flow restored, pat\'s plain TCP binding gone with its connection');

    const presence = await runCtl(['presence', 'show', `sip:bob@${DOMAIN}`, '--json', '--control', control]);
    assert.equal((JSON.parse(presence.stdout) as { basic: string }).basic, 'closed', 'a restored flow is no device that is there');

    // bob's flow is gone until he registers again: stored (202), and never sent to carol.
    assert.equal(await message(dave, 'bob', 'for bob only'), 202);
    const leaked = await carol.next('request', 1000).then((r) => r.body.toString(), () => undefined);
    assert.equal(leaked, undefined, 'carol received a request meant for bob');
  } finally {
    for (const c of clients) c.close();
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
