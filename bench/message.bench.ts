// MESSAGE relay load, side by side: SIPp UAC -> server -> SIPp UAS, simplesip (sqlite, auth off,
// no per-sender rate limit: one SIPp user sends everything) and Kamailio (lookup + stateful t_relay,
// the anchor config), on one machine in one run:
//  - highest rate of a ladder with no failed MESSAGE and no retransmission,
//  - server CPU microseconds per relayed MESSAGE at one fixed rate (from /proc, the server's process tree),
//  - both again for the Node floor (bench/floor/), a bare UDP script: what the runtime itself reaches.
// The UAS registers bob (reg_recv.xml) and answers MESSAGEs out of call from the same port (msg_uas.xml).
// Needs sipp (sip-tester) and kamailio (Debian packages) and a built dist/ (npm run build).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureTarget, printComparison, type TargetFigures } from './lib/ladder.js';
import { runSippLoad, type LoadResult } from './lib/sipp-load.js';
import { startKamailio, startNodeFloor, startSimplesip, type BenchTarget } from './lib/targets.js';

const ANCHOR = '/work/shared/anchors/kamailio';
const REG_RECV = join(import.meta.dirname, '..', 'test', 'interop', 'scenarios', 'reg_recv.xml');

export interface MessageBenchOptions {
  rates: number[];
  secondsPerStep: number;
  fixedRate: number;
}

const DEFAULTS: MessageBenchOptions = {
  rates: [2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000, 20000, 24000, 28000, 32000],
  secondsPerStep: 3,
  fixedRate: 4000,
};

/** bob's SIPp: registered for the whole run, answering every MESSAGE with 200. */
async function startReceiver(target: BenchTarget, dir: string, port: number): Promise<ChildProcess> {
  const child = spawn('sipp', [`127.0.0.1:${target.port}`, '-sf', REG_RECV, '-oocsf', join(ANCHOR, 'msg_uas.xml'), '-s', 'bob',
    '-i', '127.0.0.1', '-p', String(port), '-t', 'u1', '-m', '1', '-d', '3600000', '-buff_size', '4194304', '-nostdin'],
  { cwd: dir, stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  if (child.exitCode !== null) throw new Error(`the receiving SIPp exited (${child.exitCode})`);
  return child;
}

function load(target: BenchTarget, dir: string, o: MessageBenchOptions): (rate: number) => Promise<LoadResult> {
  return (rate) => runSippLoad({
    target: `127.0.0.1:${target.port}`, scenario: join(ANCHOR, 'msg_uac.xml'), injectionFile: join(dir, 'users.csv'),
    localPort: 15180, rate, calls: rate * o.secondsPerStep, cwd: dir,
  });
}

/** Runs `measure` with bob's SIPp registered at `target` and answering. */
async function withReceiver<T>(target: BenchTarget, dir: string, measure: () => Promise<T>): Promise<T> {
  const receiver = await startReceiver(target, dir, 15190);
  try {
    return await measure();
  } finally {
    receiver.kill('SIGKILL');
  }
}

export async function runMessageBench(options: Partial<MessageBenchOptions> = {}): Promise<void> {
  const o = { ...DEFAULTS, ...options };
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-msgbench-'));
  writeFileSync(join(dir, 'users.csv'), 'SEQUENTIAL\nalice\n');
  console.log(`\nMESSAGE relay load (SIPp msg_uac.xml -> server -> SIPp msg_uas.xml, ${o.secondsPerStep} s per step, CPU at ${o.fixedRate}/s)`);
  const figures = async (start: () => Promise<BenchTarget>): Promise<TargetFigures> => {
    const target = await start();
    try {
      return await withReceiver(target, dir, () => measureTarget(target, o.fixedRate, o.rates, load(target, dir, o)));
    } finally {
      await target.stop();
    }
  };
  try {
    printComparison('relayed MESSAGE', {
      kamailio: await figures(() => startKamailio(15170, dir)),
      simplesip: await figures(() => startSimplesip(15172, join(dir, 'data'), ['--message-rate', '0', '--probe-interval', '0'])),
      floor: await figures(() => startNodeFloor('message-relay', 15176)),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runMessageBench().catch((err: unknown) => { console.error(err); process.exit(1); });
}
