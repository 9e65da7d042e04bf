// What finch and baresip have in common as test peers: a third-party program driven through a bash
// wrapper (test/interop/peers/*-peer.sh) that keeps its state in a private directory (pid file,
// logs), optionally inside a lab network namespace. Every call is an async spawn: the server under
// test runs in this process, so spawnSync would freeze it.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runPeer, type PeerRun } from '../../helpers/run-peer.js';

export abstract class WrappedPeer {
  private stopped = false;
  /** Variables the wrapper gets on every call (e.g. the peer's lab address). */
  protected readonly env: Record<string, string> = {};

  /**
   * `wrapper`: the script; `dir`: the peer's directory (removed by stop() unless MATRIX_KEEP is set);
   * `pidFile`: where in `dir` the wrapper records the program's pid; `name`: for error messages.
   */
  protected constructor(
    private readonly wrapper: string,
    private readonly name: string,
    private readonly pidFile: string,
    readonly dir: string,
    readonly user: string,
  ) {}

  get pid(): number {
    return Number(readFileSync(join(this.dir, this.pidFile), 'utf8').trim());
  }

  alive(): boolean {
    try {
      process.kill(this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** The wrapper's clean-quit COMMAND (the program un-registers and exits); throws if it did not. */
  protected async quitWith(command: string): Promise<void> {
    const r = await this.call([command, this.dir], 15000);
    if (r.status !== 0) throw new Error(`${this.name} did not quit: ${r.stderr}`);
  }

  /** SIGKILL: the program sends nothing more. Only our own process, by its recorded pid. */
  kill(): void {
    process.kill(this.pid, 'SIGKILL');
  }

  /** Quits if still running (the wrapper's `stop` escalates to signals), removes the directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.call(['stop', this.dir], 20000);
    if (!process.env.MATRIX_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs the wrapper with ARGS; inside namespace NS when given (the program then runs there). */
  protected call(args: string[], timeoutMs: number, ns?: string): Promise<PeerRun> {
    const env = Object.entries(this.env).map(([k, v]) => `${k}=${v}`);
    const command = ['env', ...env, 'bash', this.wrapper, ...args];
    return ns === undefined ? runPeer(command[0], command.slice(1), { timeoutMs }) : runPeer('ip', ['netns', 'exec', ns, ...command], { timeoutMs });
  }
}
