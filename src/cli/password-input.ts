// A password for `ctl user add|passwd` when it is not on the command line (where `ps` and the shell
// history would show it): typed at a prompt without echo, or the first line of standard input
// (`echo secret | simplesip ctl user add alice@example.com`).
//
// Both read line by line, not to the end: a pipe that stays open after the first line (`(echo PW;
// sleep 8) | ...`) is answered at once, and at the prompt a paste of `secret\rsecret\r` arrives in
// one read whose second line is the retyped password (it used to be lost, and the prompt waited).
import type { ReadStream } from 'node:tty';

export class PasswordInputError extends Error {}

export async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  const password = stdin.isTTY ? await promptTwice(stdin) : await readFirstLine(stdin);
  if (password === '') throw new PasswordInputError('the password is empty');
  return password;
}

/**
 * What is typed at a raw-mode terminal, as lines: Enter (CR, LF or CRLF) ends one, backspace and DEL
 * remove the last character, Ctrl-C and Ctrl-D abandon the input. Everything after a line end waits
 * for the next line asked for, however it arrived (a paste comes in one read).
 */
export class TypedLines {
  private readonly done: Array<string | PasswordInputError> = [];
  private typed = '';
  private afterCr = false;

  feed(text: string): void {
    for (const ch of text) {
      const crlf = this.afterCr && ch === '\n';
      this.afterCr = ch === '\r';
      if (crlf) continue;
      if (ch === '\r' || ch === '\n') {
        this.done.push(this.typed);
        this.typed = '';
      } else if (ch === '\u0003' || ch === '\u0004') {
        this.done.push(new PasswordInputError('no password given'));
        this.typed = '';
      } else if (ch === '\u007f' || ch === '\b') {
        this.typed = Array.from(this.typed).slice(0, -1).join('');
      } else {
        this.typed += ch;
      }
    }
  }

  /** The next complete line (or the abandonment that ended it), if one is there yet. */
  next(): string | PasswordInputError | undefined {
    return this.done.shift();
  }
}

async function promptTwice(stdin: ReadStream): Promise<string> {
  const lines = new TypedLines();
  let wake: (() => void) | undefined;
  const onData = (data: Buffer): void => {
    lines.feed(data.toString('utf8'));
    wake?.();
  };
  const line = async (text: string): Promise<string> => {
    process.stderr.write(text);
    let got = lines.next();
    while (got === undefined) {
      await new Promise<void>((resolve) => { wake = resolve; });
      got = lines.next();
    }
    process.stderr.write('\n');
    if (got instanceof PasswordInputError) throw got;
    return got;
  };
  stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.resume();
  try {
    const first = await line('Password: ');
    const second = await line('Retype password: ');
    if (first !== second) throw new PasswordInputError('the passwords do not match');
    return first;
  } finally {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  }
}

/**
 * The first line of a stream (without its CR LF or LF), as soon as it is complete; the whole text
 * when the stream ends without a line end. The rest is not read: the stream is let go of at once.
 */
export function readFirstLine(stream: NodeJS.ReadableStream & { destroy?(): void }): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const finish = (result: string | Error): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (typeof result === 'string') {
        stream.pause();
        stream.destroy?.();
        resolve(result);
      } else {
        reject(result);
      }
    };
    const onData = (chunk: Buffer | string): void => {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const lf = buffer.indexOf(0x0a);
      if (lf === -1) {
        chunks.push(buffer);
        return;
      }
      chunks.push(buffer.subarray(0, lf));
      const line = Buffer.concat(chunks).toString('utf8');
      finish(line.endsWith('\r') ? line.slice(0, -1) : line);
    };
    const onEnd = (): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      finish(text.endsWith('\r') ? text.slice(0, -1) : text);
    };
    const onError = (err: Error): void => finish(err);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.resume();
  });
}
