// Spawns `simplesip client ...` without blocking this process's event loop (the server under test
// runs here), and waits for lines on its standard output.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'src', 'cli', 'main.ts');

export interface ClientProcess {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

export function startClient(args: string[], env: Record<string, string> = {}): ClientProcess {
  const state = mkdtempSync(join(tmpdir(), 'simplesip-client-'));
  const base: NodeJS.ProcessEnv = { ...process.env, XDG_STATE_HOME: state, XDG_CONFIG_HOME: state };
  for (const name of ['SIMPLESIP_USER', 'SIMPLESIP_SERVER', 'SIMPLESIP_PASSWORD', 'SIMPLESIP_PASSWORD_FILE', 'SIMPLESIP_CLIENT_CONFIG']) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'client', ...args], { cwd: root, env: { ...base, ...env } });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of waiters.splice(0)) w();
  });
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    line(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`)), timeoutMs);
        const check = (): void => {
          const found = out.split('\n').find((l) => pattern.test(l));
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          } else {
            waiters.push(check);
          }
        };
        check();
        void exited.then(() => setTimeout(() => {
          clearTimeout(timer);
          reject(new Error(`exited before a line matching ${pattern}; stdout: ${out}; stderr: ${err}`));
        }, 50));
      });
    },
  };
}
