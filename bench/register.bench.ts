// REGISTER load, side by side: SIPp against simplesip (sqlite, durable, auth off) and against
// Kamailio (in-memory usrloc, the anchor config), on one machine in one run.
//  - highest rate of a ladder with no failed REGISTER and no retransmission,
//  - server CPU microseconds per REGISTER at one fixed rate (from /proc, the server's whole process tree).
// Needs sipp (sip-tester) and kamailio (Debian packages) and a built dist/ (npm run build).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeCpuSeconds } from './lib/proc-cpu.js';
import { runSippLoad, type LoadResult } from './lib/sipp-load.js';
import { startKamailio, startSimplesip, type BenchTarget } from './lib/targets.js';

const SCENARIO = '/work/shared/anchors/kamailio/reg_uac.xml';

interface TargetFigures {
  name: string;
  ladder: LoadResult[];
  highestClean: number;
  cpuMicrosPerRegister: number;
}

export interface RegisterBenchOptions {
  rates: number[];
  secondsPerStep: number;
  fixedRate: number;
  users: number;
}

const DEFAULTS: RegisterBenchOptions = {
  rates: [2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 18000, 20000, 22000, 24000],
  secondsPerStep: 3,
  fixedRate: 4000,
  users: 20000,
};

async function measure(target: BenchTarget, dir: string, o: RegisterBenchOptions, localPort: number): Promise<TargetFigures> {
  const users = join(dir, 'users.csv');
  const run = (rate: number): Promise<LoadResult> => runSippLoad({
    target: `127.0.0.1:${target.port}`, scenario: SCENARIO, injectionFile: users, localPort, rate,
    calls: rate * o.secondsPerStep, cwd: dir,
  });
  // Warm-up: every user registered once, JIT warm.
  await run(o.fixedRate);
  const before = treeCpuSeconds(target.pid);
  const fixed = await run(o.fixedRate);
  const cpu = treeCpuSeconds(target.pid) - before;
  const ladder: LoadResult[] = [];
  let highestClean = 0;
  for (const rate of o.rates) {
    const r = await run(rate);
    ladder.push(r);
    if (r.clean) highestClean = rate;
    if (!r.clean && r.failed > r.calls / 100) break; // far past the knee: stop climbing
  }
  return { name: target.name, ladder, highestClean, cpuMicrosPerRegister: (cpu / fixed.successful) * 1e6 };
}

export async function runRegisterBench(options: Partial<RegisterBenchOptions> = {}): Promise<void> {
  const o = { ...DEFAULTS, ...options };
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-regbench-'));
  writeFileSync(join(dir, 'users.csv'), `SEQUENTIAL\n${Array.from({ length: o.users }, (_, i) => `user${i}`).join('\n')}\n`);
  console.log(`\nREGISTER load (SIPp reg_uac.xml, ${o.users} users, ${o.secondsPerStep} s per step, CPU at ${o.fixedRate}/s)`);
  const results: TargetFigures[] = [];
  try {
    for (const start of [() => startKamailio(15170, dir), () => startSimplesip(15172, join(dir, 'data'))]) {
      const target = await start();
      try {
        results.push(await measure(target, dir, o, 15180));
      } finally {
        await target.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const r of results) {
    console.log(`  ${r.name}: ladder ${r.ladder.map((l) => `${l.rate}:${l.clean ? 'ok' : `fail${l.failed}/retr${l.retransmissions}`}`).join(' ')}`);
  }
  console.log('| server | highest clean rate (/s) | CPU per REGISTER (us) |');
  console.log('| --- | --- | --- |');
  for (const r of results) console.log(`| ${r.name} | ${r.highestClean} | ${r.cpuMicrosPerRegister.toFixed(1)} |`);
  const [kam, ours] = results;
  if (kam && ours) {
    console.log(`simplesip/kamailio: clean rate x${(ours.highestClean / kam.highestClean).toFixed(2)}, CPU per REGISTER x${(ours.cpuMicrosPerRegister / kam.cpuMicrosPerRegister).toFixed(2)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runRegisterBench().catch((err: unknown) => { console.error(err); process.exit(1); });
}
