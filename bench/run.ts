// `npm run bench`: every benchmark of the project, one after the other in one process, printing
// figures (never failing a build). Compare only figures from the same run: the machine is noisy.
// `npm run bench -- parser store` runs only the named parts.
import { spawnSync } from 'node:child_process';
import { runMemoryBench } from './memory.bench.js';
import { runMessageBench } from './message.bench.js';
import { runParserBench } from './parser.bench.js';
import { runPresenceBench } from './presence.bench.js';
import { runRegisterBench } from './register.bench.js';
import { runStoreBench } from './store.bench.js';

function missing(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0;
}

const PARTS: Record<string, () => Promise<unknown>> = {
  parser: () => runParserBench(),
  presence: () => runPresenceBench(),
  store: () => runStoreBench(),
  memory: () => runMemoryBench(),
  register: async () => {
    const absent = ['sipp', 'kamailio'].filter(missing);
    if (absent.length > 0) {
      console.log(`\nREGISTER load: not run, ${absent.join(' and ')} missing (apt-get install -y sip-tester kamailio)`);
      return;
    }
    await runRegisterBench();
  },
  message: async () => {
    const absent = ['sipp', 'kamailio'].filter(missing);
    if (absent.length > 0) {
      console.log(`\nMESSAGE relay load: not run, ${absent.join(' and ')} missing (apt-get install -y sip-tester kamailio)`);
      return;
    }
    await runMessageBench();
  },
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !(w in PARTS));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; parts: ${Object.keys(PARTS).join(', ')}`);
  console.log(`simplesip benchmarks, node ${process.version}, ${new Date().toISOString()}`);
  for (const [name, run] of Object.entries(PARTS)) {
    if (wanted.length === 0 || wanted.includes(name)) await run();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
