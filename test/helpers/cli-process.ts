// The `simplesip` command run from source as a child process, as an operator runs it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

const tsxLoader = import.meta.resolve('tsx');
export const CLI_MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/**
 * `simplesip ARGS...` with the working directory `cwd` (relative paths such as ./data resolve there).
 * The caller's $SIMPLESIP_CONFIG is not passed on: only `env` sets it.
 */
export function spawnCli(args: string[], cwd: string, env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (env.SIMPLESIP_CONFIG === undefined) delete childEnv.SIMPLESIP_CONFIG;
  return spawn(process.execPath, ['--import', tsxLoader, CLI_MAIN, ...args], { cwd, env: childEnv });
}

/**
 * Everything the child printed (stdout and stderr) once `pattern` matches it, or once the child
 * exits; rejects after `timeoutMs` with what was printed so far.
 */
export function outputUntil(child: ChildProcessWithoutNullStreams, pattern: RegExp, timeoutMs = 15000): Promise<string> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${seen}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => { clearTimeout(timer); resolve(seen); });
  });
}

/**
 * `simplesip server ARGS...`, once its control API listens; rejects with its output if it exits or
 * does not get there in time (a server still starting is killed, not left behind).
 */
export async function startCliServer(args: string[], cwd: string, timeoutMs = 15000, env: Record<string, string> = {}): Promise<ChildProcessWithoutNullStreams> {
  const child = spawnCli(['server', ...args], cwd, env);
  try {
    const out = await outputUntil(child, /control API on /, timeoutMs);
    if (!out.includes('control API on ')) throw new Error(`server did not start:\n${out}`);
    return child;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}
