// `npm run bench`: every benchmark of the project, one after the other in one process, printing
// figures (never failing a build). Compare only figures from the same run: the machine is noisy.
// `npm run bench -- parser store` runs only the named parts.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runMemoryBench } from './memory.bench.js';
import { runMessageBench } from './message.bench.js';
import { runPresenceBench } from './presence.bench.js';
import { runRegisterBench } from './register.bench.js';
import { runStoreBench } from './store.bench.js';

function missing(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`]).status !== 0;
}

/**
 * The parser benchmark measures the parser as the product runs it: the compiled dist/ (built by
 * `npm run bench` first) under plain node, in a child process without this process's tsx loader.
 */
function runParserBenchChild(): Promise<void> {
  const file = fileURLToPath(new URL('./parser.bench.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`parser benchmark exited with ${signal ?? code}`)),
    );
  });
}

const PARTS: Record<string, () => Promise<unknown>> = {
  parser: () => runParserBenchChild(),
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
