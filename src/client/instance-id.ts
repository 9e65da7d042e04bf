// RFC 5626 4.1: the +sip.instance URN must be the same across restarts of the UA, so that the
// registrar replaces this instance's old binding instead of keeping a second one. We keep a UUID
// (RFC 4122 URN) in the client's state directory.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory } from '../store/make-directory.js';
import { SipClientError } from './errors.js';

const FILE = 'instance-id';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `$XDG_STATE_HOME/simplesip`, else `~/.local/state/simplesip`. */
export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'simplesip');
}

/** The UUID kept in `stateDir` (created on first use); `urn:uuid:...` form for +sip.instance. */
export function loadInstanceId(stateDir: string): string {
  const path = join(stateDir, FILE);
  try {
    const kept = readFileSync(path, 'utf8').trim().toLowerCase();
    if (UUID.test(kept)) return `urn:uuid:${kept}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new SipClientError('invalid-option', `cannot read the instance id in ${path}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }
  const uuid = randomUUID();
  try {
    makeDirectory(stateDir, 0o700);
    writeFileSync(path, `${uuid}\n`, { mode: 0o600 });
  } catch (err) {
    throw new SipClientError('invalid-option', `cannot keep the instance id in the state directory ${stateDir}: ${(err as Error).message}`, undefined, { cause: err });
  }
  return `urn:uuid:${uuid}`;
}
