// The load measurement both server benchmarks share: CPU per request at one fixed rate (from /proc,
// after a warm-up run), then a rate ladder up to the first rate with failures or retransmissions
// well past the knee; and the side-by-side table with the ratios. Each step of the ladder also counts
// the datagrams the kernel dropped at the server's socket (Linux /proc/net/udp, any server), which
// tells a step that failed because the receive queue overflowed from one that failed otherwise.
import { udpReceiveDrops } from '../../src/transport/udp-drops.js';
import { treeCpuSeconds } from './proc-cpu.js';
import type { LoadResult } from './sipp-load.js';
import type { BenchTarget } from './targets.js';

/** One step of a ladder; `drops`: datagrams dropped at the server's socket meanwhile (undefined: unknown). */
export type LadderStep = LoadResult & { drops?: number };

export interface TargetFigures {
  name: string;
  ladder: LadderStep[];
  /** Highest rate of the ladder with no failure and no retransmission. */
  highestClean: number;
  cpuMicrosPerRequest: number;
}

/** CPU microseconds per request of `target`'s process tree at `fixedRate`, after a warm-up run. */
async function measureCpu(target: BenchTarget, fixedRate: number, run: (rate: number) => Promise<LoadResult>): Promise<number> {
  await run(fixedRate); // warm-up: JIT, first registrations, connections
  const before = treeCpuSeconds(target.pid);
  const fixed = await run(fixedRate);
  return ((treeCpuSeconds(target.pid) - before) / fixed.successful) * 1e6;
}

export async function measureTarget(target: BenchTarget, fixedRate: number, rates: readonly number[],
  run: (rate: number) => Promise<LoadResult>): Promise<TargetFigures> {
  const cpuMicrosPerRequest = await measureCpu(target, fixedRate, run);
  const ladder: LadderStep[] = [];
  let highestClean = 0;
  const socketDrops = (): number | undefined => udpReceiveDrops([{ address: '127.0.0.1', port: target.port, family: 4 }]);
  for (const rate of rates) {
    const before = socketDrops();
    const r = await run(rate);
    const after = socketDrops();
    ladder.push({ ...r, drops: before === undefined || after === undefined ? undefined : after - before });
    if (r.clean) highestClean = rate;
    // Far past the knee (over 1% failed, or a retransmission for over a tenth of the requests, which
    // SIPp's retransmissions may still bring through): stop climbing.
    if (!r.clean && (r.failed > r.calls / 100 || r.retransmissions > r.calls / 10)) break;
  }
  return { name: target.name, ladder, highestClean, cpuMicrosPerRequest };
}

/** `20000:ok`, `24000:fail12/retr340/drop2100` (drops shown whenever there were some). */
function formatStep(l: LadderStep): string {
  const parts = l.clean ? ['ok'] : [`fail${l.failed}`, `retr${l.retransmissions}`];
  if (l.drops) parts.push(`drop${l.drops}`);
  return `${l.rate}:${parts.join('/')}`;
}

function ratios(a: TargetFigures, b: TargetFigures, request: string): string {
  return `clean rate x${(a.highestClean / b.highestClean).toFixed(2)}, CPU per ${request} x${(a.cpuMicrosPerRequest / b.cpuMicrosPerRequest).toFixed(2)}`;
}

/** What a load benchmark compares: the reference, ours, and the bare runtime. */
export interface Comparison {
  kamailio: TargetFigures;
  simplesip: TargetFigures;
  /** The Node floor: what one Node thread reaches and pays before any SIP work. */
  floor: TargetFigures;
}

/** The ladders, a Markdown table and the ratios to Kamailio. */
export function printComparison(request: string, { kamailio, simplesip, floor }: Comparison): void {
  const all = [kamailio, simplesip, floor];
  for (const r of all) {
    console.log(`  ${r.name}: ladder ${r.ladder.map(formatStep).join(' ')}`);
  }
  console.log(`| server | highest clean rate (/s) | CPU per ${request} (us) |`);
  console.log('| --- | --- | --- |');
  for (const r of all) {
    const top = r.ladder.length > 0 && r.ladder.every((step) => step.clean) ? ' (top of the ladder)' : '';
    console.log(`| ${r.name} | ${r.highestClean}${top} | ${r.cpuMicrosPerRequest.toFixed(1)} |`);
  }
  console.log(`simplesip/kamailio: ${ratios(simplesip, kamailio, request)}`);
  console.log(`node floor/kamailio: ${ratios(floor, kamailio, request)}; simplesip above the floor: ${(simplesip.cpuMicrosPerRequest - floor.cpuMicrosPerRequest).toFixed(1)} us`);
}
