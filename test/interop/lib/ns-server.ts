// `simplesip server` as an operator runs it, inside a lab namespace, with --trace on stdout so that
// every message it writes can be checked afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { nsExec } from './netns.js';

const root = join(import.meta.dirname, '..', '..', '..');
const cli = join(root, 'src', 'cli', 'main.ts');

export class NsServer {
  private out = '';
  private err = '';
  private exited: number | null | undefined;

  private constructor(private readonly child: ChildProcess, readonly ns: string) {
    child.stdout?.on('data', (d: Buffer) => { this.out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { this.err += d.toString(); });
    child.once('exit', (code) => { this.exited = code; });
  }

  /**
   * Starts the server and resolves with the start-up lines once it listens; rejects with its own
   * error (e.g. an address family the host lacks) if it exits first.
   */
  static async start(ns: string, listen: string[], extra: string[] = []): Promise<NsServer> {
    const args = ['netns', 'exec', ns, process.execPath, '--import', 'tsx', cli, 'server',
      ...listen.flatMap((l) => ['--listen', l]), '--auth', 'off', '--store', 'memory', '--trace',
      '--probe-interval', '0', '--control', '127.0.0.1:0', '--log-level', 'warn', ...extra];
    const srv = new NsServer(spawn('ip', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }), ns);
    const deadline = Date.now() + 15000;
    while (!/control API on /.test(srv.out)) {
      if (srv.exited !== undefined) throw new Error(`server exited (${srv.exited}): ${srv.err.replace(/^WARNING.*\n|^\{.*\n/gm, '').trim()}`);
      if (Date.now() > deadline) throw new Error(`server did not start within 15 s: ${srv.err}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return srv;
  }

  /** The socket lines of the start-up banner: `udp [::]:5060 (IPv4 and IPv6)`. */
  get listeners(): string[] {
    return [...this.out.matchAll(/^ {2}(\w+ \S+.*)$/gm)].map((m) => m[1]);
  }

  /** The control API's address as the start-up line names it (`127.0.0.1:PORT`, inside the namespace). */
  get control(): string {
    return /control API on (\S+)/.exec(this.out)?.[1] ?? '';
  }

  /** GET on the control API, from inside the namespace (its loopback is not ours): status and body. */
  async api(path: string): Promise<{ status: number; body: string }> {
    const code = `fetch('http://${this.control}${path}').then(async (r) => process.stdout.write(r.status + '\\n' + await r.text()))`;
    const r = await nsExec(this.ns, process.execPath, ['-e', code], 10000);
    const nl = r.stdout.indexOf('\n');
    if (r.status !== 0 || nl < 0) throw new Error(`control API ${path}: ${r.stderr.trim()}`);
    return { status: Number(r.stdout.slice(0, nl)), body: r.stdout.slice(nl + 1) };
  }

  get trace(): string {
    return this.out;
  }

  async stop(): Promise<void> {
    if (this.exited !== undefined) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
  }
}
