// makeDirectory: missing parents are made; a parent that exists but cannot hold children (a path
// under /proc, a dangling symbolic link) or a file in the way is an error at once, never a hang
// (Node 20's recursive mkdirSync spins for ever on the first two).
import { existsSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDirectory } from '../../src/store/make-directory.js';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-mkdir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('makes every missing level with the mode asked for; an existing directory is fine', (t) => {
  const dir = join(scratch(t), 'a', 'b', 'c');
  makeDirectory(dir, 0o700);
  assert.ok(statSync(dir).isDirectory());
  assert.equal(statSync(join(dir, '..')).mode & 0o777, 0o700);
  makeDirectory(dir);
  assert.ok(statSync(dir).isDirectory());
});

test('a path under /proc fails with ENOENT at once', () => {
  assert.throws(() => makeDirectory('/proc/simplesip-no-such-dir/data'), (err: NodeJS.ErrnoException) =>
    err.code === 'ENOENT' && /mkdir '\/proc\/simplesip-no-such-dir'/.test(err.message));
});

test('a dangling symbolic link in the path is named', (t) => {
  const root = scratch(t);
  symlinkSync(join(root, 'unmounted-disk'), join(root, 'link'));
  assert.throws(() => makeDirectory(join(root, 'link', 'data')), (err: NodeJS.ErrnoException) =>
    err.code === 'ENOENT' && err.message.includes(`'${join(root, 'link')}' is a symbolic link to something that does not exist`));
  assert.equal(existsSync(join(root, 'unmounted-disk')), false, 'nothing made behind the link');
});

test('a file where a directory should be is ENOTDIR', (t) => {
  const root = scratch(t);
  writeFileSync(join(root, 'file'), 'x');
  assert.throws(() => makeDirectory(join(root, 'file')), { code: 'ENOTDIR' });
  assert.throws(() => makeDirectory(join(root, 'file', 'data')), { code: 'ENOTDIR' });
});
