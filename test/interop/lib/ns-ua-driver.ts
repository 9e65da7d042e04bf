// The test's side of ns-ua.ts: starts a simplesip UserAgent in a lab namespace, sends it commands and
// waits for what it reports.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { NsUaOptions, UaCommand } from './ns-ua.js';

const script = join(import.meta.dirname, 'ns-ua.ts');

/** One line the UA printed: an event (`event`) or the end of a command (`done`). */
export interface UaReport {
  at: number;
  event?: string;
  done?: number;
  ok?: boolean;
  error?: string;
  [key: string]: unknown;
}

type Op = UaCommand extends infer C ? C extends { id: number } ? Omit<C, 'id'> : never : never;

export class NsUa {
  readonly reports: UaReport[] = [];
  private buffer = '';
  private err = '';
  private nextId = 1;
  private exited = false;
  private wake: Array<() => void> = [];

  private constructor(private readonly child: ChildProcess, readonly name: string) {
    child.stdout?.on('data', (d: Buffer) => {
      this.buffer += d.toString();
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') this.reports.push(JSON.parse(l) as UaReport);
      this.notify();
    });
    child.stderr?.on('data', (d: Buffer) => { this.err += d.toString(); });
    child.once('exit', () => { this.exited = true; this.notify(); });
  }

  static start(ns: string, name: string, options: NsUaOptions): NsUa {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', script, JSON.stringify(options)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new NsUa(child, name);
  }

  /** Runs one command; resolves with its `done` report (throws when it failed, unless `allowFail`). */
  async cmd(op: Op, timeoutMs = 15000, allowFail = false): Promise<UaReport> {
    const id = this.nextId++;
    this.child.stdin?.write(`${JSON.stringify({ id, ...op })}\n`);
    const r = await this.waitFor((x) => x.done === id, timeoutMs, `${this.name}: ${op.op} not done`);
    if (!r.ok && !allowFail) throw new Error(`${this.name}: ${op.op} failed: ${r.error}`);
    return r;
  }

  /** The first report (already seen or to come) that matches, or an error after `timeoutMs`. */
  async waitFor(match: (r: UaReport) => boolean, timeoutMs: number, what: string, from = 0): Promise<UaReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports.slice(from).find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (this.exited || left <= 0) {
        throw new Error(`${what} within ${timeoutMs} ms${this.exited ? ' (the UA process exited)' : ''}; reports: ${JSON.stringify(this.reports.slice(-8))}; stderr: ${this.err.slice(-800)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  /** The last presence this UA reported for `buddy`. */
  lastBasic(buddy: string): string | undefined {
    return this.reports.filter((r) => r.event === 'presence' && r.buddy === buddy).at(-1)?.basic as string | undefined;
  }

  /** SIGKILL, our own child only. */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Clean close (un-REGISTER etc.), then the process ends; SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin?.end(`${JSON.stringify({ id: this.nextId++, op: 'close' })}\n`);
    const timer = setTimeout(() => this.kill(), 5000);
    await gone;
    clearTimeout(timer);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }
}
