// The nonce HMAC key (see nonce.ts). Kept in the data directory so nonces survive a restart and every
// node started on the same directory (or a copy of the file) accepts the others' nonces.
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory } from '../store/make-directory.js';

const SECRET_BYTES = 32;
export const SECRET_FILE = 'nonce-secret';

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

/**
 * 32 random bytes from DIR/nonce-secret, or fresh per process without a directory. A missing file is
 * written whole under a temporary name (mode 0600) and hard-linked into place: link() fails when the
 * name exists, so two processes starting together agree on one secret and none reads a partial file.
 */
export function loadOrCreateSecret(dataDir?: string): Buffer {
  if (dataDir === undefined) return randomBytes(SECRET_BYTES);
  const path = join(dataDir, SECRET_FILE);
  try {
    return checked(path, readFileSync(path));
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  makeDirectory(dataDir);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, randomBytes(SECRET_BYTES), { mode: 0o600 });
  try {
    linkSync(temp, path);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  } finally {
    unlinkSync(temp);
  }
  return checked(path, readFileSync(path));
}

function checked(path: string, secret: Buffer): Buffer {
  if (secret.length !== SECRET_BYTES) {
    throw new Error(`${path}: expected ${SECRET_BYTES} bytes, found ${secret.length}; delete it to make a new one`);
  }
  return secret;
}
