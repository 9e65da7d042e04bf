#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner (TypeScript loaded by tsx).
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(1);
}
// The output is passed through as it comes; the summary's skip count is read on the way, because a
// test skipped under CI is a failure (a run that skips what it cannot set up is not green).
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let tail = '';
let skipped = 0;
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail += chunk.toString();
  const lines = tail.split('\n');
  tail = lines.pop() ?? '';
  for (const line of lines) {
    const m = /^# skipped (\d+)$/.exec(line);
    if (m) skipped = Number(m[1]);
  }
});
child.on('close', (status) => {
  if (status === 0 && skipped > 0 && process.env.CI) {
    console.error(`${skipped} test(s) skipped: under CI a skip is a failure`);
    process.exit(1);
  }
  process.exit(status ?? 1);
});
