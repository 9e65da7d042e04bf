// Runs `simplesip ctl ...` as a child process without blocking this process's event loop (the
// control server under test runs here).
import { spawn } from 'node:child_process';
import { join } from 'node:path';

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
