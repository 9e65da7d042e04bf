// The servers a load benchmark compares: simplesip (the built CLI) and Kamailio (Debian package,
// the reference config in /work/shared/anchors/kamailio adapted to our port).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchTarget {
  name: string;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

const root = join(import.meta.dirname, '..', '..');

function waitFor(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 10000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${seen}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (pattern.test(seen)) { clearTimeout(timer); resolve(); }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited (${code}):\n${seen}`)); });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null) { resolve(); return; }
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** simplesip with durable storage (sqlite, group commit) and authentication off, like the Kamailio config. */
export async function startSimplesip(port: number, dataDir: string, extraArgs: string[] = []): Promise<BenchTarget> {
  const cli = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error('dist/ is missing: run npm run build first');
  const child = spawn(process.execPath, [cli, 'server', '--listen', `udp:127.0.0.1:${port}`, '--auth', 'off',
    '--store', 'sqlite', '--data', dataDir, '--log-level', 'error', '--control', '127.0.0.1:0', ...extraArgs],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(child, new RegExp(`udp 127\\.0\\.0\\.1:${port}`), 'simplesip');
  return { name: 'simplesip', pid: child.pid as number, port, stop: stopper(child) };
}

/**
 * The Node floor (bench/floor/): a bare UDP script that does only what any Node server must do per
 * request (receive, find a few lines, send), to show how much of a figure is the runtime's.
 */
export async function startNodeFloor(script: 'register-echo' | 'message-relay', port: number): Promise<BenchTarget> {
  const child = spawn(process.execPath, [join(root, 'bench', 'floor', `${script}.mjs`), String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(child, new RegExp(`udp 127\\.0\\.0\\.1:${port}`), `the Node floor (${script})`);
  return { name: 'node floor', pid: child.pid as number, port, stop: stopper(child) };
}

/** Kamailio from Debian with the anchor config: in-memory usrloc, no auth, 2 UDP workers. */
export async function startKamailio(port: number, workDir: string): Promise<BenchTarget> {
  const anchor = '/work/shared/anchors/kamailio/kamailio.cfg';
  const config = readFileSync(anchor, 'utf8')
    .replace('listen=udp:127.0.0.1:5070', `listen=udp:127.0.0.1:${port}`)
    .replace('alias="127.0.0.1:5070"', `alias="127.0.0.1:${port}"`)
    .replace('unix:/tmp/kamailio_ctl', `unix:${join(workDir, 'kamailio_ctl')}`);
  const cfgFile = join(workDir, 'kamailio.cfg');
  writeFileSync(cfgFile, config);
  // Its log goes to a file: a pipe nobody reads fills up under load (a relayed MESSAGE that fails logs
  // a line), and Kamailio then blocks on its next log line, SIGTERM's included, hanging the bench.
  const logFile = join(workDir, 'kamailio.log');
  const log = openSync(logFile, 'w');
  const child = spawn('kamailio', ['-m', '1024', '-M', '16', '-f', cfgFile, '-P', join(workDir, 'kamailio.pid'), '-DD', '-E'],
    { stdio: ['ignore', log, log] });
  closeSync(log);
  // Kamailio logs nothing at debug=1 once up: give it a moment, then check it still runs.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  if (child.exitCode !== null) throw new Error(`kamailio exited (${child.exitCode}):\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
  return { name: 'kamailio', pid: child.pid as number, port, stop: stopper(child) };
}
