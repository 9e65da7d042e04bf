// finch (Pidgin's libpurple SIMPLE) driven headlessly through peers/finch-peer.sh (a copy of the
// verified wrapper in /work/shared/peers): private dbus, tmux, purple-remote.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../helpers/free-port.js';
import { requirePeer, FINCH, LIBPURPLE_BIN, PYTHON3_DBUS, TMUX, DBUS } from '../../helpers/peers.js';
import type { PeerRun } from '../../helpers/run-peer.js';
import { WrappedPeer } from './wrapped-peer.js';

const wrapper = join(import.meta.dirname, '..', 'peers', 'finch-peer.sh');

/** Installs (or demands) everything finch-peer.sh needs. */
export function requireFinch(): void {
  for (const spec of [FINCH, LIBPURPLE_BIN, TMUX, DBUS, PYTHON3_DBUS]) requirePeer(spec);
}

/** Where finch runs in a private network lab (lib/netns.ts): its namespace, its address, the server's. */
export interface LabPlace {
  ns: string;
  self: string;
  server: string;
}

export class FinchPeer extends WrappedPeer {
  private constructor(dir: string, user: string) {
    super(wrapper, 'finch', 'finch.pid', dir, user);
  }

  /**
   * Starts finch for sip:USER@127.0.0.1 against the server at 127.0.0.1:PORT and waits until the
   * account is connected (REGISTER answered 200). libpurple has no IPv6 (peers README), so 127.0.0.1 only.
   */
  static async start(user: string, password: string, serverPort: number, transport: 'udp' | 'tcp', buddies: string[] = [], lab?: LabPlace): Promise<FinchPeer> {
    const dir = mkdtempSync(join(tmpdir(), `finch-${user}-`));
    const peer = new FinchPeer(dir, user);
    if (lab !== undefined) peer.env.FINCH_PUBLIC_IP = lab.self;
    // A fresh port each time: every finch process sends the same Call-IDs and branches (libpurple
    // never seeds rand()), so a finch restarted on its previous port within Timer J (64*T1) repeats
    // the previous process's REGISTERs byte for byte and the server rightly answers them from its
    // transaction cache. finch binds 0.0.0.0, hence the wildcard check.
    peer.env.FINCH_LOCAL_PORT = String(await freePort('0.0.0.0'));
    // In a lab namespace, finch (and its tmux and dbus) run there; later calls talk to them through
    // socket files, from here.
    const r = await peer.call(['start', dir, user, password, lab?.server ?? '127.0.0.1', String(serverPort), transport, ...buddies], 20000, lab?.ns);
    if (r.status !== 0) {
      const debug = peer.debugLog().slice(-3000);
      await peer.stop();
      throw new Error(`finch did not connect (exit ${r.status}): ${r.stderr}\n${debug}`);
    }
    return peer;
  }

  /** The local SIP port finch was given (it binds 0.0.0.0:PORT for UDP and TCP). */
  get localPort(): number {
    return Number(readFileSync(join(this.dir, 'local.port'), 'utf8').trim());
  }

  debugLog(): string {
    try {
      return readFileSync(join(this.dir, 'finch-debug.log'), 'utf8');
    } catch {
      return '';
    }
  }

  send(buddy: string, text: string): Promise<PeerRun> {
    return this.call(['send', this.dir, buddy, text], 10000);
  }

  async waitIm(pattern: string, seconds: number): Promise<boolean> {
    return (await this.call(['wait-im', this.dir, pattern, String(seconds)], (seconds + 5) * 1000)).status === 0;
  }

  async buddy(name: string): Promise<string> {
    return (await this.call(['buddy', this.dir, name], 10000)).stdout.trim();
  }

  /** Alt-q: a clean quit (un-SUBSCRIBE, closed PUBLISH, un-REGISTER); resolves once finch exited. */
  quit(): Promise<void> {
    return this.quitWith('quit');
  }
}
