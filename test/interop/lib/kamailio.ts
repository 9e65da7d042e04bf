// Debian's Kamailio 5.6 as the server under a simplesip client: started on free loopback ports with
// a config written here, driven and inspected through its binrpc control socket (kamcmd). Used by
// client-kamailio.test.ts and the "simplesip client vs Kamailio" row of the interop matrix.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { KAMAILIO, requirePeer, type PeerSpec } from '../../helpers/peers.js';

const run = promisify(execFile);

// The presence modules (presence, presence_xml) and the TLS module are packaged apart from kamailio.
export const KAMAILIO_PRESENCE: PeerSpec = { binary: 'test -f /usr/lib/x86_64-linux-gnu/kamailio/modules/presence_xml.so', debianPackage: 'kamailio-presence-modules' };
export const KAMAILIO_TLS: PeerSpec = { binary: 'test -f /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so', debianPackage: 'kamailio-tls-modules' };
export const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';
/** db_text table definitions shipped with kamailio (presence keeps its state there). */
const DBTEXT_TABLES = '/usr/share/kamailio/dbtext/kamailio';

export class Kamailio {
  private constructor(private readonly child: ChildProcess, readonly dir: string, readonly ctl: string) {}

  /**
   * Starts kamailio with the config `config(dir, ctl)` returns (DIR holds everything it writes;
   * `dbtext` in it has a copy of the db_text tables) and waits until its control socket answers.
   */
  static async start(config: (dir: string, ctl: string) => string): Promise<Kamailio> {
    const binary = requirePeer(KAMAILIO);
    const dir = mkdtempSync(join(tmpdir(), 'simplesip-kamailio-'));
    const ctl = join(dir, 'ctl.sock');
    cpSync(DBTEXT_TABLES, join(dir, 'dbtext'), { recursive: true });
    writeFileSync(join(dir, 'kamailio.cfg'), config(dir, ctl));
    let stderr = '';
    // A process group of its own: stop() can then reach the workers too (they ignore SIGTERM once
    // their main process is gone, and were seen left over after a SIGKILL of the main process).
    const child = spawn(binary, ['-DD', '-E', '-f', join(dir, 'kamailio.cfg'), '-P', join(dir, 'pid'), '-Y', dir, '-w', dir], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const k = new Kamailio(child, dir, ctl);
    const start = Date.now();
    for (;;) {
      try {
        await k.dump();
        return k;
      } catch (err) {
        if (child.exitCode !== null || Date.now() - start > 10_000) {
          if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
          throw new Error(`kamailio did not start: ${String(err)}\n${stderr}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /**
   * Waits until a TLS handshake on HOST:PORT succeeds: the control socket answers before the TCP
   * workers have their TLS contexts, and a client that connects in between gets an internal-error alert.
   */
  async tlsReady(host: string, port: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect({ host, port, rejectUnauthorized: false }, () => { s.end(); resolve(true); });
        s.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`kamailio: no TLS handshake on ${host} port ${port} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** `kamcmd ul.dump`: the location table as text (`AoR: alice@127.0.0.1` lines). */
  async dump(): Promise<string> {
    return (await run('kamcmd', ['-s', `unix:${this.ctl}`, 'ul.dump'])).stdout;
  }

  /** SIGTERM to its process group, waits for the exit (5 s at most), then SIGKILL to whatever of the group is left; removes DIR. */
  async stop(): Promise<void> {
    const group = this.child.pid;
    if (group !== undefined && this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      signalGroup(group, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
    if (group !== undefined) signalGroup(group, 'SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Signals kamailio's own process group (its pid is the group id); none left is fine. */
function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
