// REGISTER load, side by side: SIPp against simplesip (sqlite, durable, auth off) and against
// Kamailio (in-memory usrloc, the anchor config), on one machine in one run.
//  - highest rate of a ladder with no failed REGISTER and no retransmission,
//  - server CPU microseconds per REGISTER at one fixed rate (from /proc, the server's whole process tree),
//  - both again for the Node floor (bench/floor/), a bare UDP script: what the runtime itself reaches.
// Needs sipp (sip-tester) and kamailio (Debian packages) and a built dist/ (npm run build).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureTarget, printComparison, type TargetFigures } from './lib/ladder.js';
import { runSippLoad, type LoadResult } from './lib/sipp-load.js';
import { startKamailio, startNodeFloor, startSimplesip, type BenchTarget } from './lib/targets.js';

const SCENARIO = '/work/shared/anchors/kamailio/reg_uac.xml';

export interface RegisterBenchOptions {
  rates: number[];
  secondsPerStep: number;
  fixedRate: number;
  users: number;
}

const DEFAULTS: RegisterBenchOptions = {
  // Up to where Kamailio fails too: it was clean at the old top, 30,000/s, which hid its real figure
  // (60,000/s clean, 70,000/s not, in a trial run). The Node floor was clean at 90,000/s (84,000/s
  // reached: SIPp's own limit is near there) and SIPp could not keep up at 120,000/s.
  rates: [2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000, 20000, 22000, 24000, 26000, 28000, 30000,
    34000, 38000, 42000, 46000, 50000, 55000, 60000, 65000, 70000, 80000, 90000],
  secondsPerStep: 3,
  fixedRate: 4000,
  users: 20000,
};

function load(target: BenchTarget, dir: string, o: RegisterBenchOptions, localPort: number): (rate: number) => Promise<LoadResult> {
  return (rate) => runSippLoad({
    target: `127.0.0.1:${target.port}`, scenario: SCENARIO, injectionFile: join(dir, 'users.csv'), localPort, rate,
    calls: rate * o.secondsPerStep, cwd: dir,
  });
}

export async function runRegisterBench(options: Partial<RegisterBenchOptions> = {}): Promise<void> {
  const o = { ...DEFAULTS, ...options };
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-regbench-'));
  writeFileSync(join(dir, 'users.csv'), `SEQUENTIAL\n${Array.from({ length: o.users }, (_, i) => `user${i}`).join('\n')}\n`);
  console.log(`\nREGISTER load (SIPp reg_uac.xml, ${o.users} users, ${o.secondsPerStep} s per step, CPU at ${o.fixedRate}/s)`);
  const figures = async (start: () => Promise<BenchTarget>): Promise<TargetFigures> => {
    const target = await start();
    try {
      return await measureTarget(target, o.fixedRate, o.rates, load(target, dir, o, 15180));
    } finally {
      await target.stop();
    }
  };
  try {
    printComparison('REGISTER', {
      kamailio: await figures(() => startKamailio(15170, dir)),
      simplesip: await figures(() => startSimplesip(15172, join(dir, 'data'))),
      floor: await figures(() => startNodeFloor('register-echo', 15176)),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runRegisterBench().catch((err: unknown) => { console.error(err); process.exit(1); });
}
