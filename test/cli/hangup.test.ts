// The terminal a command runs in goes away (the window is closed, the ssh session drops): the
// kernel hangs it up and sends SIGHUP. The server stops as on SIGTERM and exits 0; `simplesip client`
// unregisters and exits 0, as on /quit (the founding story's stale binding came from a client that
// quit without an un-REGISTER). Node aborted both (SIGABRT in node::ResetStdio, restoring the settings
// of a terminal that is gone), and the chat prompt took the hang-up for an internal error.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI_MAIN } from '../helpers/cli-process.js';
import { startServer } from '../helpers/server.js';

const HANG_UP = join(import.meta.dirname, '..', 'helpers', 'hang-up.py');
const tsxLoader = import.meta.resolve('tsx');

interface Ending { matched: boolean; exited: boolean; code: number | null; signal: number | null; output: string }

/** `simplesip ARGS` on a terminal of its own, hung up once its output matches `ready`. */
function runThenHangUp(ready: string, args: string[]): Ending {
  const out = execFileSync('python3', [HANG_UP, '20', ready, process.execPath, '--import', tsxLoader, CLI_MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out) as Ending;
}

test('server: a hung-up terminal stops it cleanly, exit 0 (no abort)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-hup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ending = runThenHangUp('control API on', ['server', '--listen', 'udp:127.0.0.1:0', '--control', '127.0.0.1:0', '--data', join(dir, 'data')]);
  assert.equal(ending.matched, true, ending.output);
  assert.deepEqual({ exited: ending.exited, code: ending.code, signal: ending.signal }, { exited: true, code: 0, signal: null }, ending.output);
});

test('client chat: a hung-up terminal unregisters it and it exits 0', async (t) => {
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'], auth: false, probeIntervalSeconds: 0 });
  t.after(() => srv.stop());
  const aor = 'sip:alice@127.0.0.1';
  // execFileSync would block the event loop this server runs on: run the hang-up in a promise.
  const ending = await new Promise<Ending>((resolve, reject) => {
    import('node:child_process').then(({ execFile }) => execFile('python3', [HANG_UP, '20', 'registered sip:alice',
      process.execPath, '--import', tsxLoader, CLI_MAIN, 'client', 'chat', '--user', aor, '--server', `sip:127.0.0.1:${srv.port('udp')}`,
      '--password-file', '/dev/null'], { encoding: 'utf8', timeout: 60_000 }, (err, stdout) => err ? reject(err) : resolve(JSON.parse(stdout) as Ending)));
  });
  assert.equal(ending.matched, true, ending.output);
  assert.deepEqual({ exited: ending.exited, code: ending.code, signal: ending.signal }, { exited: true, code: 0, signal: null }, ending.output);
  assert.doesNotMatch(ending.output, /internal error/);
  assert.equal(srv.server.location.lookup(aor).length, 0, 'the binding was removed by its un-REGISTER');
});
