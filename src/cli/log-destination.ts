// Where the server's JSON log lines go: standard error, each line written before the call returns
// (a crash right after loses nothing). When standard error has gone away (a hung-up terminal
// fails writes with EIO, a closed pipe with EPIPE) the log falls silent: pino's own destination
// (sonic-boom) keeps the failed line and, at exit, retries it every 100 ms for ever, so a server
// whose terminal was closed never finished stopping.
import { writeSync } from 'node:fs';

/** How long a full non-blocking pipe is waited for before a line is dropped. */
const FULL_PIPE_WAIT_MS = 100;

export interface LogDestination {
  write(line: string): void;
}

export function stderrLogDestination(fd = 2): LogDestination {
  let gone = false;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  return {
    write(line: string): void {
      if (gone) return;
      let rest = Buffer.from(line);
      for (let waited = 0; rest.length > 0;) {
        try {
          rest = rest.subarray(writeSync(fd, rest));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
            gone = true;
            return;
          }
          if (waited++ >= FULL_PIPE_WAIT_MS) return;
          Atomics.wait(pause, 0, 0, 1);
        }
      }
    },
  };
}
