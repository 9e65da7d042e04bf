// A password for `ctl user add|passwd` when it is not on the command line (where `ps` and the shell
// history would show it): typed at a prompt without echo, or the first line of standard input
// (`echo secret | simplesip ctl user add alice@example.com`).
import type { ReadStream } from 'node:tty';

export class PasswordInputError extends Error {}

export async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  const password = stdin.isTTY ? await promptTwice(stdin) : firstLine(await readAll(stdin));
  if (password === '') throw new PasswordInputError('the password is empty');
  return password;
}

async function promptTwice(stdin: ReadStream): Promise<string> {
  const first = await prompt(stdin, 'Password: ');
  const second = await prompt(stdin, 'Retype password: ');
  if (first !== second) throw new PasswordInputError('the passwords do not match');
  return first;
}

/** Reads one line in raw mode, echoing nothing; Ctrl-C and Ctrl-D abandon it. */
function prompt(stdin: ReadStream, text: string): Promise<string> {
  process.stderr.write(text);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new PasswordInputError('no password given'));
        if (ch === '\u007f' || ch === '\b') typed = Array.from(typed).slice(0, -1).join('');
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}
