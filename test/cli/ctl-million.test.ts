// One million bindings dumped through `ctl ul show --json` while the server's event loop keeps
// answering: Kamailio's ul.dump fails past tens of thousands of AoRs; this one streams.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../src/control/control-server.js';
import { fakeContext, SyntheticLocation } from '../control/fake-context.js';
import { call } from '../control/http.js';

const BINDINGS = 1_000_000;
const root = join(import.meta.dirname, '..', '..');

test(`ctl ul show --json streams ${BINDINGS} bindings; /stats and timers stay prompt meanwhile`, { timeout: 300_000 }, async (t) => {
  const location = new SyntheticLocation(BINDINGS);
  const server = new ControlServer(fakeContext(location));
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  let worstTimerGap = 0;
  let lastTick = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    worstTimerGap = Math.max(worstTimerGap, now - lastTick);
    lastTick = now;
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 10);
  const statsLatencies: number[] = [];
  let dumping = true;
  const probeStats = async (): Promise<void> => {
    while (dumping) {
      await new Promise((r) => setTimeout(r, 100));
      // Only while the dump is really running, not during the child's start-up.
      if (location.pulled === 0 || location.pulled >= BINDINGS) continue;
      const started = performance.now();
      const answer = await call(port, 'GET', '/stats');
      assert.equal(answer.status, 200);
      statsLatencies.push(performance.now() - started);
    }
  };
  const probes = probeStats();

  try {
    const started = performance.now();
    let firstByte = 0;
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'ctl', 'ul', 'show', '--json', '--control', `127.0.0.1:${port}`], { cwd: root });
    let lines = 0;
    let bytes = 0;
    let tail = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (firstByte === 0) firstByte = performance.now();
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      tail = chunk.subarray(Math.max(0, chunk.length - 600)).toString();
    });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const done = performance.now();
    dumping = false;
    await probes;

    assert.equal(code, 0, stderr);
    assert.equal(lines, BINDINGS);
    const last = JSON.parse(tail.slice(tail.lastIndexOf('\n', tail.length - 2) + 1)) as { aor: string; cseq: number };
    assert.equal(last.cseq, BINDINGS - 1);
    assert.equal(last.aor, `sip:user${(BINDINGS - 1) >> 1}@example.com`);
    assert.ok(statsLatencies.length >= 3, `only ${statsLatencies.length} /stats probes ran during the dump`);
    const worstStats = Math.max(...statsLatencies);
    // A dump that did not yield would hold the event loop for the whole dump (seconds); a yielding one
    // keeps answering within tens of ms. The bound leaves room for a loaded CI machine (2 shared
    // cores), not for a stall.
    assert.ok(worstStats < 1000, `/stats took ${worstStats.toFixed(0)} ms during the dump`);
    assert.ok(worstTimerGap < 1000, `a 10 ms timer waited ${worstTimerGap.toFixed(0)} ms during the dump`);
    t.diagnostic(`${BINDINGS} bindings, ${(bytes / 1048576).toFixed(0)} MiB NDJSON in ${((done - started) / 1000).toFixed(1)} s ` +
      `(${((done - firstByte) / 1000).toFixed(1)} s from the first byte, ctl start-up included before it)`);
    t.diagnostic(`during the dump: /stats worst ${worstStats.toFixed(1)} ms over ${statsLatencies.length} probes, ` +
      `10 ms timer worst gap ${worstTimerGap.toFixed(1)} ms`);
    t.diagnostic(`server process: rss ${(baseline.rss / 1048576).toFixed(0)} -> peak ${(peakRss / 1048576).toFixed(0)} MiB, ` +
      `heap used ${(baseline.heapUsed / 1048576).toFixed(0)} -> peak ${(peakHeap / 1048576).toFixed(0)} MiB`);
  } finally {
    clearInterval(ticker);
    dumping = false;
    await server.close();
  }
});
