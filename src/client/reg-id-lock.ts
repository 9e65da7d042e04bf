// RFC 5626 4.1, 4.2: one +sip.instance per device, and a different reg-id for each flow of that
// instance registered at the same time. Every UserAgent of one AOR sharing a state directory is
// the same instance (instance-id.ts), so each running one takes the lowest reg-id no other running
// one holds: a lock file per reg-id in `<stateDir>/reg-ids/`, holding the pid of the process
// whose UA holds it. A lock whose process is gone is free; so is one with our own pid that this
// process does not hold (a pid reused after a restart). Released at close and at process exit.
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory } from '../store/make-directory.js';
import { SipClientError } from './errors.js';

const DIRECTORY = 'reg-ids';

/** Lock files this process holds (paths), removed again when it exits. */
const held = new Set<string>();
let exitHookInstalled = false;

/** The reg-id one UserAgent registers with: taken on first use, kept until release(). */
export class RegIdLock {
  private taken: { regId: number; path: string } | undefined;

  constructor(private readonly stateDir: string, private readonly aor: string) {}

  /** The lowest reg-id (from 1) that no other running UA of this AOR and state directory holds. */
  take(): number {
    if (this.taken !== undefined) return this.taken.regId;
    const directory = join(this.stateDir, DIRECTORY);
    // The AOR as a file name: any length, any character (a user part may hold `/`).
    const key = createHash('sha256').update(this.aor).digest('hex').slice(0, 16);
    try {
      makeDirectory(directory, 0o700);
      for (let regId = 1; ; regId++) {
        const path = join(directory, `${key}-${regId}.pid`);
        if (claim(path)) {
          this.taken = { regId, path };
          return regId;
        }
      }
    } catch (err) {
      throw new SipClientError('invalid-option', `cannot keep the reg-id lock in the state directory ${this.stateDir}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }

  /** Frees the reg-id for the next UA (idempotent). */
  release(): void {
    if (this.taken === undefined) return;
    releasePath(this.taken.path);
    this.taken = undefined;
  }
}

/** Takes the lock at `path` if it is free or stale; false when a running UA holds it. */
function claim(path: string): boolean {
  if (create(path)) return true;
  if (held.has(path) || isAlive(ownerOf(path))) return false;
  // A stale lock. Only one process at a time may replace it, or two could each remove the other's
  // new lock: the one that creates the guard. Another finding the guard takes the next reg-id.
  const guard = `${path}.reclaim`;
  try {
    closeSync(openSync(guard, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    // Looked at again under the guard: it may have been replaced before we took the guard.
    if (isAlive(ownerOf(path))) return false;
    unlinkQuietly(path);
    return create(path);
  } finally {
    unlinkQuietly(guard);
  }
}

/** Creates `path` holding our pid, complete or not at all (a link is atomic); false if it exists. */
function create(path: string): boolean {
  const draft = `${path}.${randomUUID()}`;
  writeFileSync(draft, `${process.pid}\n`, { mode: 0o600 });
  try {
    linkSync(draft, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkQuietly(draft);
  }
  held.add(path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => { for (const p of held) releasePath(p); });
  }
  return true;
}

/** The pid in a lock file; undefined when it is gone or holds no pid. */
function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whether a lock's owner runs: another live process (our own pid here is a lock we do not hold). */
function isAlive(pid: number | undefined): boolean {
  if (pid === undefined || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releasePath(path: string): void {
  if (!held.delete(path)) return;
  // Only our own lock: never one another process took after ours was found stale.
  try {
    if (ownerOf(path) === process.pid) unlinkSync(path);
  } catch {
    // Gone already, or the directory went away: nothing is held either way.
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
