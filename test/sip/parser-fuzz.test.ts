import { test } from 'node:test';
import { checkInput, runFuzz, seedMessages } from '../fuzz/parser-property.js';

test('every torture seed passes the property unmutated', () => {
  for (const s of seedMessages()) checkInput(s);
});

test('mutated messages: parseMessage and every accessor return or throw SipParseError, < 50 ms each', () => {
  runFuzz(Number(process.env.FUZZ_TEST_RUNS ?? 2000));
});
