// `npm run fuzz`: the parser property of test/sip/parser-fuzz.test.ts for many more runs.
// FUZZ_RUNS (default 200000) and FUZZ_SEED (to replay a failure) are read from the environment.
import { runFuzz } from './parser-property.js';

const runs = Number(process.env.FUZZ_RUNS ?? 200000);
const seed = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const started = Date.now();
runFuzz(runs, seed);
console.log(`parser fuzz: ${runs} runs passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
