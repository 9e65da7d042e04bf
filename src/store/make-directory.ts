// Makes a directory and its missing parents without `mkdirSync(dir, { recursive: true })`: Node 20's
// recursive mkdir spins for ever, at full CPU and with no error, when a parent exists but cannot hold
// children (a path under /proc, a symbolic link to a disk that is not mounted): it gets ENOENT for
// the child and EEXIST for the parent, again and again. Each level here is tried once.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * Makes `dir` and any missing parents (each with `mode`, default 0777 less the umask); throws the
 * system error of the first level that cannot be made, or says that a level is not a directory or
 * is a symbolic link to nothing.
 */
export function makeDirectory(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    const found = statSync(current, { throwIfNoEntry: false });
    if (found !== undefined) {
      if (!found.isDirectory()) throw errnoError('ENOTDIR', `not a directory, mkdir '${current}'`);
      break;
    }
    missing.push(current);
    if (dirname(current) === current) break;
  }
  for (let i = missing.length - 1; i >= 0; i--) {
    const level = missing[i];
    try {
      mkdirSync(level, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Made meanwhile by another process, or a name that stat cannot follow (a dangling link).
      const now = statSync(level, { throwIfNoEntry: false });
      if (now === undefined) throw errnoError('ENOENT', `'${level}' is a symbolic link to something that does not exist`);
      if (!now.isDirectory()) throw errnoError('ENOTDIR', `not a directory, mkdir '${level}'`);
    }
  }
}
