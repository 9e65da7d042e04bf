// One SIPp load run at a fixed rate, and what it says about the server: successes, failures and
// retransmissions (a retransmission means an answer came later than 500 ms, or never).
import { spawn } from 'node:child_process';

export interface LoadResult {
  rate: number;
  calls: number;
  successful: number;
  failed: number;
  retransmissions: number;
  /** No failure and no retransmission. */
  clean: boolean;
}

export interface LoadOptions {
  target: string;
  scenario: string;
  injectionFile: string;
  localPort: number;
  rate: number;
  calls: number;
  cwd: string;
}

function number(text: string, pattern: RegExp): number {
  const m = pattern.exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

export function runSippLoad(o: LoadOptions): Promise<LoadResult> {
  const args = [o.target, '-sf', o.scenario, '-inf', o.injectionFile, '-t', 'u1', '-i', '127.0.0.1',
    '-p', String(o.localPort), '-r', String(o.rate), '-rp', '1000', '-m', String(o.calls), '-l', String(o.calls),
    '-buff_size', '4194304', '-nostdin', '-timeout', '60s'];
  return new Promise((resolve, reject) => {
    const child = spawn('sipp', args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('error', reject);
    child.once('close', () => {
      const successful = number(out, /Successful call\s+\|\s+\d+\s+\|\s+(\d+)/);
      const failed = number(out, /Failed call\s+\|\s+\d+\s+\|\s+(\d+)/);
      // Scenario screen: "REGISTER ---------->   <messages>   <retrans>   <timeout>"
      const retransmissions = number(out, /[A-Z]+ ---------->\s+\d+\s+(\d+)/);
      if (Number.isNaN(successful)) {
        reject(new Error(`cannot read SIPp's result:\n${out.slice(-1500)}`));
        return;
      }
      resolve({
        rate: o.rate, calls: o.calls, successful, failed, retransmissions,
        clean: failed === 0 && retransmissions === 0 && successful === o.calls,
      });
    });
  });
}
