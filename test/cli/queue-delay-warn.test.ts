// `simplesip server --queue-delay-warn MS`: a server that stood still (here: SIGSTOP for 600 ms, as
// a long GC pause or an overloaded host would) logs that it fell behind, and ctl stats shows it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outputUntil, spawnCli } from '../helpers/cli-process.js';
import { runCtl } from './ctl-run.js';

test('--queue-delay-warn: a stalled server warns that datagrams waited, and ctl stats shows the worst delay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-qdelay-'));
  const child = spawnCli(['server', '--listen', 'udp:127.0.0.1:0', '--control', '127.0.0.1:0', '--store', 'memory',
    '--queue-delay-warn', '200', '--log-level', 'warn'], dir);
  t.after(() => { child.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); });
  const out = await outputUntil(child, /control API on 127\.0\.0\.1:\d+\n/);
  const control = /control API on (127\.0\.0\.1:\d+)/.exec(out)?.[1];
  assert.ok(control, out);
  await new Promise((r) => setTimeout(r, 500));
  const quiet = await runCtl(['stats', '--control', control]);
  assert.match(quiet.stdout, /^UDP queue delay +[\d.]+ ms now, [\d.]+ ms worst in the last minute$/m);
  assert.match(quiet.stdout, /^UDP receive drops +0 \(datagrams lost to a full receive queue\)$/m);
  assert.doesNotMatch(out, /falling behind/);

  child.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, 600));
  child.kill('SIGCONT');
  const warned = await outputUntil(child, /falling behind/, 5000);
  const line = JSON.parse(warned.split('\n').find((l) => l.includes('falling behind')) ?? '{}') as { queueDelayMs?: number; thresholdMs?: number; level?: number };
  assert.ok((line.queueDelayMs ?? 0) >= 450, `the stall is reported (${line.queueDelayMs} ms)`);
  assert.equal(line.thresholdMs, 200);
  const stats = JSON.parse((await runCtl(['stats', '--json', '--control', control])).stdout) as { udpQueueDelay: { lastMs: number; maxLastMinuteMs: number } };
  assert.ok(stats.udpQueueDelay.maxLastMinuteMs >= 450, JSON.stringify(stats.udpQueueDelay));
});
