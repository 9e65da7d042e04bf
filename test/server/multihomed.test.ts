// A server with two networks, listening on the wildcard `udp:*` socket: what it writes as its own
// address toward a peer is the address on that peer's network (the source of the kernel's route to
// it), not the first interface's (transport/source-address.ts). Checked on an OPTIONS probe's Via
// (RFC 3261 18.2.1) and a SUBSCRIBE's 200 Contact (RFC 6665 4.1.1: the watcher's in-dialog requests
// go there). Three network namespaces: S with 10.200.0.1 (to A) and 10.201.0.1 (to B); B is the peer.
// Needs root and iproute2 (CI runs as root; the network matrix needs the same).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runPeer } from '../helpers/run-peer.js';
import { CLI_MAIN, outputUntil } from '../helpers/cli-process.js';
import { NetLab } from '../interop/lib/netns.js';

const tag = `ss${process.pid}-mh`;
const S = `${tag}-s`;
const A = `${tag}-a`;
const B = `${tag}-b`;
let server: ChildProcessWithoutNullStreams | undefined;

async function ip(...args: string[]): Promise<void> {
  const r = await runPeer('ip', args, { timeoutMs: 10000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

before(async () => {
  await NetLab.check();
  await NetLab.removeOrphans();
  for (const ns of [S, A, B]) {
    await ip('netns', 'add', ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  // eth0 (to A) is made first, so it is the "first interface" a guess would take.
  await ip('-n', S, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', A);
  await ip('-n', S, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', B);
  await ip('-n', S, 'addr', 'add', '10.200.0.1/24', 'dev', 'eth0');
  await ip('-n', S, 'addr', 'add', '10.201.0.1/24', 'dev', 'eth1');
  await ip('-n', A, 'addr', 'add', '10.200.0.2/24', 'dev', 'eth0');
  await ip('-n', B, 'addr', 'add', '10.201.0.2/24', 'dev', 'eth0');
  await ip('-n', B, 'addr', 'add', '10.201.0.3/24', 'dev', 'eth0'); // a second peer on B's network, for a first request
  for (const [ns, dev] of [[S, 'eth0'], [S, 'eth1'], [A, 'eth0'], [B, 'eth0']]) await ip('-n', ns, 'link', 'set', dev, 'up');
  server = spawn('ip', ['netns', 'exec', S, process.execPath, '--import', import.meta.resolve('tsx'), CLI_MAIN, 'server',
    '--listen', 'udp:*:5060', '--auth', 'off', '--store', 'memory', '--control', '127.0.0.1:0', '--probe-interval', '1', '--log-level', 'warn']);
  const out = await outputUntil(server, /control API on \S+\n/, 20000);
  assert.match(out, /udp \S+:5060/, out);
});

after(async () => {
  server?.kill('SIGKILL');
  for (const ns of [S, A, B]) await runPeer('ip', ['netns', 'del', ns], { timeoutMs: 10000 }).catch(() => undefined);
});

// Runs in B: REGISTER bob, SUBSCRIBE to bob, answer whatever the server sends, and report the 200's
// Contact and the Via of the first OPTIONS probe.
const PEER_SCRIPT = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
const server = ['10.201.0.1', 5060];
const seen = {};
const id = () => Math.random().toString(36).slice(2);
const send = (t) => s.send(Buffer.from(t), server[1], server[0]);
const request = (method, extra) => send([method + ' sip:bob@10.201.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 10.201.0.2:5070;branch=z9hG4bK' + id() + ';rport',
  'Max-Forwards: 70', 'From: <sip:bob@10.201.0.1>;tag=' + id(), 'To: <sip:bob@10.201.0.1>', 'Call-ID: ' + id(), 'CSeq: 1 ' + method,
  'Contact: <sip:bob@10.201.0.2:5070>', ...extra, 'Content-Length: 0', '', ''].join('\\r\\n'));
const header = (t, name) => (new RegExp('^' + name + ':\\\\s*(.*)$', 'mi').exec(t) || [])[1];
const answer = (t) => send(['SIP/2.0 200 OK', ...t.split('\\r\\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l)), 'Content-Length: 0', '', ''].join('\\r\\n'));
s.on('message', (m) => {
  const t = m.toString();
  if (t.startsWith('SIP/2.0 200') && / REGISTER/.test(header(t, 'CSeq'))) request('SUBSCRIBE', ['Event: presence', 'Expires: 60', 'Accept: application/pidf+xml']);
  else if (t.startsWith('SIP/2.0 200') && / SUBSCRIBE/.test(header(t, 'CSeq'))) seen.contact = header(t, 'Contact');
  else if (t.startsWith('OPTIONS ')) { seen.probeVia = seen.probeVia || header(t, 'Via'); answer(t); }
  else if (!t.startsWith('SIP/2.0')) answer(t);
  if (seen.contact && seen.probeVia) { console.log(JSON.stringify(seen)); process.exit(0); }
});
s.bind(5070, '10.201.0.2', () => request('REGISTER', ['Expires: 60']));
setTimeout(() => { console.log(JSON.stringify(seen)); process.exit(1); }, 8000);
`;

test('toward a peer on the second network, the Via of a probe and the Contact of a 200 name our address there', async () => {
  const r = await runPeer('ip', ['netns', 'exec', B, process.execPath, '-e', PEER_SCRIPT], { timeoutMs: 15000 });
  const seen = JSON.parse(r.stdout.trim() || '{}') as { contact?: string; probeVia?: string };
  assert.equal(r.status, 0, `peer saw ${r.stdout} ${r.stderr}`);
  assert.match(seen.contact ?? '', /^<sip:10\.201\.0\.1:5060>/, 'not the first interface (10.200.0.1)');
  assert.match(seen.probeVia ?? '', /^SIP\/2\.0\/UDP 10\.201\.0\.1:5060;/);
});

// Runs in B: bob registers from 10.201.0.2:5071; then 10.201.0.3, which has sent nothing before,
// INVITEs bob; bob reports the Record-Route of the INVITE he gets and answers 486.
const FIRST_REQUEST_SCRIPT = `
const dgram = require('node:dgram');
const bob = dgram.createSocket('udp4');
const carol = dgram.createSocket('udp4');
const id = () => Math.random().toString(36).slice(2);
const to = (sock, t) => sock.send(Buffer.from(t), 5060, '10.201.0.1');
const header = (t, name) => (new RegExp('^' + name + ':\\s*(.*)$', 'mi').exec(t) || [])[1];
bob.on('message', (m) => {
  const t = m.toString();
  if (t.startsWith('SIP/2.0 200') && / REGISTER/.test(header(t, 'CSeq'))) {
    to(carol, ['INVITE sip:bob@10.201.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 10.201.0.3:5072;branch=z9hG4bK' + id() + ';rport', 'Max-Forwards: 70',
      'From: <sip:carol@10.201.0.1>;tag=' + id(), 'To: <sip:bob@10.201.0.1>', 'Call-ID: ' + id(), 'CSeq: 1 INVITE',
      'Contact: <sip:carol@10.201.0.3:5072>', 'Content-Length: 0', '', ''].join('\\r\\n'));
  } else if (t.startsWith('INVITE ')) {
    console.log(JSON.stringify({ recordRoute: t.split('\\r\\n').filter((l) => /^Record-Route:/i.test(l)) }));
    process.exit(0);
  }
});
carol.bind(5072, '10.201.0.3');
bob.bind(5071, '10.201.0.2', () => to(bob, ['REGISTER sip:10.201.0.1 SIP/2.0', 'Via: SIP/2.0/UDP 10.201.0.2:5071;branch=z9hG4bK' + id() + ';rport',
  'Max-Forwards: 70', 'From: <sip:bob@10.201.0.1>;tag=' + id(), 'To: <sip:bob@10.201.0.1>', 'Call-ID: ' + id(), 'CSeq: 1 REGISTER',
  'Contact: <sip:bob@10.201.0.2:5071>', 'Expires: 60', 'Content-Length: 0', '', ''].join('\\r\\n')));
setTimeout(() => { console.log('{}'); process.exit(1); }, 8000);
`;

test('the first INVITE from a peer never seen before gets one Record-Route, naming our address on its network', async () => {
  const r = await runPeer('ip', ['netns', 'exec', B, process.execPath, '-e', FIRST_REQUEST_SCRIPT], { timeoutMs: 15000 });
  assert.equal(r.status, 0, `peer saw ${r.stdout} ${r.stderr}`);
  const { recordRoute } = JSON.parse(r.stdout.trim()) as { recordRoute: string[] };
  // Both sides of the call are on 10.201.0.0/24: one entry (RFC 5658 needs two only when they differ).
  assert.equal(recordRoute.length, 1, recordRoute.join(' | '));
  assert.match(recordRoute[0], /^Record-Route: <sip:10\.201\.0\.1:5060;lr;ss-dlg=/);
});

