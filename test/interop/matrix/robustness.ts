// The robustness table of `npm run interop` (README "Robustness"): per peer, over UDP on IPv4
// loopback, what is left behind when the peer is SIGKILLed, when its network link drops, and whether
// it is reachable again after the server restarts (SIGKILL, SQLite storage). Every cell really runs;
// a cell prints how long detection took against the bound the README promises.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent } from '../../../src/index.js';
import { outputUntil, spawnCli } from '../../helpers/cli-process.js';
import { freePort } from '../../helpers/free-port.js';
import { startServer } from '../../helpers/server.js';
import { runCtl } from '../../cli/ctl-run.js';
import { BaresipPeer, requireBaresip } from '../lib/baresip.js';
import { FinchPeer, requireFinch } from '../lib/finch.js';
import { NetLab, type LabHost } from '../lib/netns.js';
import { NsServer } from '../lib/ns-server.js';
import { NsUa } from '../lib/ns-ua-driver.js';
import { deadContactBoundMs, waitFor } from '../lib/timing.js';

export const ROBUSTNESS_COLUMNS = ['SIGKILL', 'dropped link', 'server restart'] as const;
type RobustnessColumn = (typeof ROBUSTNESS_COLUMNS)[number];
type Cell = { ok: true; note: string } | { ok: false; reason: string };

const HOST = '127.0.0.1';
const PASSWORD = 'robust-secret';
const PROBE_INTERVAL_S = 1;
const T1_MS = 50;
const BOUND_MS = deadContactBoundMs(PROBE_INTERVAL_S, T1_MS);

/** A running peer registered as sip:USER@127.0.0.1 over UDP. */
interface Running {
  kill(): void;
  stop(): Promise<void>;
  /** Whether the peer shows a MESSAGE with this text within a few seconds. */
  received(text: string): Promise<boolean>;
}

interface RobustPeer {
  name: string;
  start(user: string, port: number): Promise<Running>;
  /** The dropped-link cell, in network namespaces. */
  droppedLink(): Promise<Cell>;
}

/** `simplesip client register --json`, a process of its own so that it can be SIGKILLed. */
async function simplesipClient(user: string, port: number): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'robust-client-'));
  writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
  const child = spawnCli(['client', 'register', '--json', '--user', `sip:${user}@${HOST}`, '--server', `sip:${HOST}:${port};transport=udp`,
    '--password-file', join(dir, 'pw'), '--local-ports', '0', '--state-dir', dir], process.cwd());
  const out = await outputUntil(child, /"event":"registered"|simplesip client:/, 15000);
  if (!out.includes('"event":"registered"')) throw new Error(`client did not register: ${out.slice(-300)}`);
  let seen = out;
  child.stdout.on('data', (d: Buffer) => { seen += d.toString(); });
  return {
    kill: () => { child.kill('SIGKILL'); },
    stop: async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); },
    received: async (text) => {
      try { await waitFor(() => seen.includes(`"body":"${text}"`), 5000, ''); return true; } catch { return false; }
    },
  };
}

async function finch(user: string, port: number): Promise<Running> {
  requireFinch();
  const p = await FinchPeer.start(user, PASSWORD, port, 'udp');
  return { kill: () => p.kill(), stop: () => p.stop(), received: (text) => p.waitIm(text, 5) };
}

async function baresip(user: string, port: number): Promise<Running> {
  requireBaresip();
  const p = await BaresipPeer.start(user, PASSWORD, HOST, port, 'udp');
  return { kill: () => p.kill(), stop: () => p.stop(), received: (text) => p.waitLog(text, 5) };
}

/** SIGKILL: the binding is gone within the dead-contact bound (OPTIONS probing, --probe-interval 1, T1 50 ms). */
async function sigkill(peer: RobustPeer): Promise<Cell> {
  const srv = await startServer({ listen: [`udp:${HOST}:0`], probeIntervalSeconds: PROBE_INTERVAL_S, t1Ms: T1_MS, digestAlgorithms: ['MD5'] });
  await srv.server.users.add('rob', HOST, PASSWORD);
  const aor = `sip:rob@${HOST}`;
  let running: Running | undefined;
  try {
    running = await peer.start('rob', srv.port('udp'));
    if (srv.server.location.lookup(aor).length === 0) return { ok: false, reason: 'no binding after start' };
    const killedAt = Date.now();
    running.kill();
    await waitFor(() => srv.server.location.lookup(aor).length === 0, BOUND_MS + 2000, `binding still there ${BOUND_MS + 2000} ms after SIGKILL`);
    const took = Date.now() - killedAt;
    return took <= BOUND_MS + 500 ? { ok: true, note: `${(took / 1000).toFixed(1)} s, bound ${BOUND_MS / 1000} s` } : { ok: false, reason: `${took} ms, bound ${BOUND_MS} ms` };
  } finally {
    await running?.stop();
    await srv.stop();
  }
}

/** Server restart: killed with SIGKILL, started again on the same port with the same SQLite data; the peer's binding is restored and a MESSAGE reaches it. */
async function serverRestart(peer: RobustPeer): Promise<Cell> {
  const data = mkdtempSync(join(tmpdir(), 'robust-data-'));
  const port = await freePort(HOST);
  const control = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const start = async (): Promise<ReturnType<typeof spawnCli>> => {
    const child = spawnCli(['server', '--listen', `udp:${HOST}:${port}`, '--data', data, '--control', control, '--digest-algorithms', 'MD5', '--log-level', 'warn'], process.cwd());
    const out = await outputUntil(child, /control API on |Error|error/);
    if (!out.includes('control API on ')) throw new Error(`server did not start: ${out.slice(-300)}`);
    return child;
  };
  let server = await start();
  let running: Running | undefined;
  const dave = new UserAgent({ aor: `sip:dave@${HOST}`, password: PASSWORD, server: `sip:${HOST}:${port};transport=udp`, localPorts: { min: 0, max: 0 },
    stateDir: mkdtempSync(join(tmpdir(), 'robust-dave-')), networkCheckIntervalMs: 0, closeTimeoutMs: 500 });
  try {
    for (const u of ['rob', 'dave']) await runCtl(['user', 'add', `${u}@${HOST}`, PASSWORD, '--control', control]);
    running = await peer.start('rob', port);
    const killed = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await killed;
    server = await start();
    const ul = await runCtl(['ul', 'show', `sip:rob@${HOST}`, '--control', control]);
    if (ul.code !== 0) return { ok: false, reason: `no binding restored (ctl ul show exit ${ul.code})` };
    const r = await dave.sendMessage(`sip:rob@${HOST}`, 'after the restart');
    if (r.status !== 200) return { ok: false, reason: `MESSAGE after the restart answered ${r.status} ${r.reason}` };
    return await running.received('after the restart') ? { ok: true, note: 'binding restored, MESSAGE delivered' } : { ok: false, reason: 'MESSAGE accepted but not shown by the peer' };
  } finally {
    await dave.close();
    await running?.stop();
    server.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  }
}

/** Something registered as AOR from a lab namespace, to be unplugged. */
type LabPeer = (aor: string, host: LabHost, server: string) => Promise<{ stop(): Promise<void> }>;

/** A peer in a namespace whose link is unplugged: its binding is gone within the bound. */
async function droppedLink(startPeer: LabPeer): Promise<Cell> {
  await NetLab.check();
  const lab = new NetLab();
  let srv: NsServer | undefined;
  let peer: { stop(): Promise<void> } | undefined;
  try {
    await lab.start();
    const s = await lab.addHost('rsrv', 'v4');
    const c = await lab.addHost('rcli', 'v4');
    srv = await NsServer.start(s.ns, ['udp:*:5060'], ['--probe-interval', String(PROBE_INTERVAL_S), '--t1', String(T1_MS)]);
    const aor = `sip:rob@${s.v4}`;
    peer = await startPeer(aor, c, s.v4 as string);
    if ((await srv.api(`/ul/${encodeURIComponent(aor)}`)).status !== 200) return { ok: false, reason: 'no binding after start' };
    const unpluggedAt = Date.now();
    await lab.unplug(c);
    await waitFor(async () => (await srv?.api(`/ul/${encodeURIComponent(aor)}`))?.status === 404, BOUND_MS + 3000, `binding still there ${BOUND_MS + 3000} ms after the link dropped`);
    const took = Date.now() - unpluggedAt;
    return took <= BOUND_MS + 500 ? { ok: true, note: `${(took / 1000).toFixed(1)} s, bound ${BOUND_MS / 1000} s` } : { ok: false, reason: `${took} ms, bound ${BOUND_MS} ms` };
  } finally {
    await peer?.stop();
    await srv?.stop();
    await lab.destroy();
  }
}

const simplesipInLab: LabPeer = async (aor, host, server) => {
  const ua = NsUa.start(host.ns, 'rob', { aor, server: `sip:${server}:5060;transport=udp`, networkCheckIntervalMs: 0, keepaliveIntervalMs: 1000, closeTimeoutMs: 500 });
  await ua.cmd({ op: 'register' });
  return { stop: async () => ua.kill() };
};

const finchInLab: LabPeer = async (_aor, host, server) => {
  requireFinch();
  const p = await FinchPeer.start('rob', '', 5060, 'udp', [], { ns: host.ns, self: host.v4 as string, server });
  return { stop: () => p.stop() };
};

const baresipInLab: LabPeer = async (_aor, host, server) => {
  requireBaresip();
  const p = await BaresipPeer.start('rob', PASSWORD, server, 5060, 'udp', [], undefined, { ns: host.ns, self: host.v4 as string });
  return { stop: () => p.stop() };
};

const PEERS: RobustPeer[] = [
  { name: 'simplesip client', start: simplesipClient, droppedLink: () => droppedLink(simplesipInLab) },
  { name: 'finch (libpurple SIMPLE)', start: finch, droppedLink: () => droppedLink(finchInLab) },
  { name: 'baresip', start: baresip, droppedLink: () => droppedLink(baresipInLab) },
];

function render(c: Cell): string {
  return c.ok ? `pass (${c.note})` : `fail: ${c.reason.replace(/\|/g, '/').replace(/\s+/g, ' ').slice(0, 100)}`;
}

async function cell(run: () => Promise<Cell>): Promise<Cell> {
  try { return await run(); } catch (e) { return { ok: false, reason: (e as Error).message }; }
}

/** Runs the table (rows whose name contains one of `only`, or all); returns its lines and how many cells failed. */
export async function runRobustness(only: string[]): Promise<{ lines: string[]; failed: number }> {
  const lines = [`| peer (UDP, IPv4) | ${ROBUSTNESS_COLUMNS.join(' | ')} |`, `|${' --- |'.repeat(ROBUSTNESS_COLUMNS.length + 1)}`];
  let failed = 0;
  // `npm run interop -- robustness` runs this table alone (no peer row is named so).
  const names = only.filter((o) => o !== 'robustness');
  for (const peer of PEERS.filter((p) => names.length === 0 || names.some((o) => p.name.includes(o)))) {
    const cells: Record<RobustnessColumn, Cell> = {
      'SIGKILL': await cell(() => sigkill(peer)),
      'dropped link': await cell(() => peer.droppedLink()),
      'server restart': await cell(() => serverRestart(peer)),
    };
    failed += ROBUSTNESS_COLUMNS.filter((c) => !cells[c].ok).length;
    lines.push(`| ${peer.name} | ${ROBUSTNESS_COLUMNS.map((c) => render(cells[c])).join(' | ')} |`);
    process.stderr.write(`${lines[lines.length - 1]}\n`);
  }
  return { lines, failed };
}

