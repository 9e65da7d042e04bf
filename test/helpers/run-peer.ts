// Runs a peer program without blocking the event loop (the server under test lives in this process).
import { spawn } from 'node:child_process';

export interface PeerRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runPeer(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<PeerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30000);
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    child.once('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}
