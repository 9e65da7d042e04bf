// Leaving after the terminal a command ran in has gone away (SIGHUP: the window was closed, the
// ssh session dropped). Node restores the terminal settings of each standard stream at exit and
// aborts (SIGABRT, "Assertion failed" in node::ResetStdio) when that fails with EIO, as it does on a
// hung-up terminal; it skips a descriptor that is closed. So such descriptors are closed just before
// exiting: nothing written to them could be read any more.
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** Which standard descriptors were terminals when the process started (this module loads at start). */
const wasTerminal = [0, 1, 2].map((fd) => isatty(fd));

/** A terminal that hung up no longer answers as one (its ioctls fail with EIO). */
function hungUp(fd: number): boolean {
  return wasTerminal[fd] && !isatty(fd);
}

/** process.exit(code), closing first the standard descriptors whose terminal hung up. */
export function exitProcess(code: number): never {
  for (const fd of [0, 1, 2]) {
    if (!hungUp(fd)) continue;
    try {
      closeSync(fd);
    } catch {
      // Already closed.
    }
  }
  process.exit(code);
}
