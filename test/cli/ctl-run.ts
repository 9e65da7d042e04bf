// Runs `simplesip ctl ...` as a child process without blocking this process's event loop (the
// control server under test runs here).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { ControlServer } from '../../src/control/control-server.js';
import { fakeContext, type FakeContext } from '../control/fake-context.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'src', 'cli', 'main.ts');

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCtl(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CtlResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  if (options.env?.SIMPLESIP_CONTROL === undefined) delete env.SIMPLESIP_CONTROL;
  if (options.env?.SIMPLESIP_CONFIG === undefined) delete env.SIMPLESIP_CONFIG;
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'ctl', ...args], { cwd: root, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/**
 * A control server over a fake context for one test file (started in `before`, closed in `after`):
 * `context` is what the server changed, `address` where ctl finds it, `ctl(...)` runs ctl against it.
 */
export function fakeControlServer(): { readonly context: FakeContext; readonly address: string; ctl(...args: string[]): Promise<CtlResult> } {
  let context: FakeContext | undefined;
  let server: ControlServer | undefined;
  let address = '';
  before(async () => {
    context = fakeContext();
    server = new ControlServer(context);
    address = `127.0.0.1:${(await server.listen({ host: '127.0.0.1', port: 0 })).port}`;
  });
  after(() => server?.close());
  return {
    get context(): FakeContext {
      if (context === undefined) throw new Error('the fake control server starts in before()');
      return context;
    },
    get address(): string {
      return address;
    },
    ctl: (...args: string[]) => runCtl([...args, '--control', address]),
  };
}
