// The password of `ctl user add|passwd` is read line by line (README "simplesip ctl": "the first
// line of standard input"): a pipe that stays open after that line is answered at once, not when the
// writer closes it; at the prompt, a paste of both entries in one read (`secret\rsecret\r`) answers
// both questions instead of leaving "Retype password:" waiting for ever.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordInputError, readFirstLine, TypedLines } from '../../src/cli/password-input.js';
import { fakeControlServer } from './ctl-run.js';

const root = join(import.meta.dirname, '..', '..');
const fake = fakeControlServer();

test('a paste of both entries in one read answers Password and Retype password', () => {
  const lines = new TypedLines();
  lines.feed('secret\rsecret\r');
  assert.equal(lines.next(), 'secret');
  assert.equal(lines.next(), 'secret');
  assert.equal(lines.next(), undefined);
  // CR LF is one line end; backspace edits; Ctrl-C abandons.
  lines.feed('pa\u007fw\r\nx\u0003');
  assert.equal(lines.next(), 'pw');
  assert.ok(lines.next() instanceof PasswordInputError);
});

test('the first line of a stream is taken as soon as it is complete', async () => {
  const stream = new PassThrough();
  const line = readFirstLine(stream);
  stream.write('sec');
  stream.write('ret\r\nmore');
  assert.equal(await line, 'secret');
  const unterminated = new PassThrough();
  const whole = readFirstLine(unterminated);
  unterminated.end('no newline');
  assert.equal(await whole, 'no newline');
});

test('ctl user add with a pipe that stays open after the password line finishes at once', { timeout: 20_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), 'ctl', '--control', fake.address, 'user', 'add', 'pia@example.com'],
    { cwd: root, env: { ...process.env, SIMPLESIP_CONTROL: '', SIMPLESIP_CONFIG: '' } });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stdin.write('pia-secret\n'); // and the pipe stays open, as with (echo PW; sleep 8) | ...
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => { child.kill(); resolve(-1); }, 10_000);
    child.on('exit', (c) => { clearTimeout(timer); resolve(c); });
  });
  child.stdin.destroy();
  assert.equal(code, 0, 'finished without waiting for the end of input');
  assert.equal(stdout, 'added pia@example.com\n');
  assert.equal(fake.context.users.users.get('pia@example.com')?.password, 'pia-secret');
});
