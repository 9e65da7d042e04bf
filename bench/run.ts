// `npm run bench`: every benchmark of the project, one after the other in one process, printing
// figures (never failing a build). Compare only figures from the same run: the machine is noisy.
import { runParserBench } from './parser.bench.js';

async function main(): Promise<void> {
  console.log(`simplesip benchmarks, node ${process.version}, ${new Date().toISOString()}`);
  await runParserBench();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
