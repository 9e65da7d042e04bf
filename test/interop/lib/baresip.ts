// baresip 1.0.0 (Debian baresip-core) driven headlessly through peers/baresip-peer.sh (a copy of the
// verified wrapper in /work/shared/peers): commands on a stdin FIFO, SIP trace (-s) in its log.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePortPair } from '../../helpers/free-port.js';
import { requirePeer, BARESIP } from '../../helpers/peers.js';
import { WrappedPeer } from './wrapped-peer.js';

const wrapper = join(import.meta.dirname, '..', 'peers', 'baresip-peer.sh');

/** Installs (or demands) baresip-core. */
export function requireBaresip(): string {
  return requirePeer(BARESIP);
}

/** What baresip's contact list shows for a buddy (`/contacts`). */
export type BaresipStatus = 'Online' | 'Offline' | 'Unknown' | string;

export class BaresipPeer extends WrappedPeer {
  private constructor(dir: string, user: string, readonly localPort: number) {
    super(wrapper, 'baresip', 'baresip.pid', dir, user);
  }

  /**
   * Starts baresip for sip:USER@HOST:PORT (HOST 127.0.0.1 or ::1, the server's address and the
   * family baresip runs in) and waits until it is registered. baresip binds UDP+TCP on its
   * sip_listen port and TLS on port+1, so each instance gets a free pair of its own.
   * Buddies are user names (sip:NAME@HOST:PORT, as the wrapper writes them) or sip: URIs.
   * Over TLS, `ca` is the PEM certificate baresip trusts (the server's own, for a self-signed one).
   */
  static async start(user: string, password: string, host: string, serverPort: number, transport: 'udp' | 'tcp' | 'tls', buddies: string[] = [], ca?: string, lab?: { ns: string; self: string }): Promise<BaresipPeer> {
    const dir = mkdtempSync(join(tmpdir(), `baresip-${user}-`));
    if (ca !== undefined) writeFileSync(join(dir, 'ca.pem'), ca);
    // In a lab namespace of its own (lib/netns.ts) nothing else binds ports: a fixed pair will do.
    const localPort = lab === undefined ? await freePortPair(host) : 5080;
    const peer = new BaresipPeer(dir, user, localPort);
    if (lab !== undefined) peer.env.BARESIP_LOCAL_IP = lab.self;
    // baresip (and its stdin holder) run in the namespace; later calls use files in DIR, from here.
    const r = await peer.call(['start', dir, user, host, String(serverPort), transport, String(localPort), password, ...buddies], 20000, lab?.ns);
    if (r.status !== 0) {
      const log = peer.log().slice(-3000);
      await peer.stop();
      throw new Error(`baresip did not register (exit ${r.status}): ${r.stderr}\n${log}`);
    }
    return peer;
  }

  /** stdout+stderr with the SIP trace, ANSI colour codes removed. */
  log(): string {
    try {
      // eslint-disable-next-line no-control-regex
      return readFileSync(join(this.dir, 'baresip.log'), 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
    } catch {
      return '';
    }
  }

  /** One stdin command line, e.g. `/presence_offline`. */
  async cmd(line: string): Promise<void> {
    const r = await this.call(['cmd', this.dir, line], 5000);
    if (r.status !== 0) throw new Error(`baresip ${line}: exit ${r.status} ${r.stderr}`);
  }

  /** Selects BUDDY as the current contact and sends it a MESSAGE (baresip has no message-to-URI). */
  async send(buddy: string, text: string): Promise<void> {
    const r = await this.call(['msg', this.dir, buddy, text], 10000);
    if (r.status !== 0) throw new Error(`baresip could not send to ${buddy}: exit ${r.status} ${r.stderr}`);
  }

  /** True once the log matches REGEX (grep -E, ANSI codes inside the log: keep it simple). */
  async waitLog(regex: string, seconds: number): Promise<boolean> {
    return (await this.call(['wait', this.dir, regex, String(seconds)], (seconds + 5) * 1000)).status === 0;
  }

  /** BUDDY's presence as baresip's /contacts shows it. */
  async status(buddy: string): Promise<BaresipStatus> {
    return (await this.call(['status', this.dir, buddy], 10000)).stdout.trim();
  }

  /**
   * /quit: PUBLISH Expires 0, un-SUBSCRIBE, un-REGISTER, then exit (~2 s); the wrapper escalates to
   * SIGTERM/SIGKILL of this peer's own pid only if it is still running after 5 s.
   */
  quit(): Promise<void> {
    return this.quitWith('stop');
  }
}
