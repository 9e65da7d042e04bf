// A private network lab made of Linux network namespaces: one switch namespace holding a bridge, and
// hosts joined to it by veth pairs. Hosts are IPv4-only, IPv6-only or dual-stack, with addresses from
// ranges chosen here (10.200.0.0/24, fd00:200::/64) that exist only inside these namespaces.
// Needs root and iproute2. Everything is removed by destroy(), which after-hooks call even on failure.
import { spawnSync } from 'node:child_process';
import { runPeer } from '../../helpers/run-peer.js';

export type HostKind = 'v4' | 'v6' | 'dual';

export interface LabHost {
  /** The namespace name (`ip netns exec NAME ...`). */
  ns: string;
  kind: HostKind;
  v4?: string;
  v6?: string;
}

async function ip(args: string[]): Promise<void> {
  const r = await runPeer('ip', args, { timeoutMs: 10000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** Runs a command inside a namespace. */
export function nsExec(ns: string, command: string, args: string[], timeoutMs = 30000): ReturnType<typeof runPeer> {
  return runPeer('ip', ['netns', 'exec', ns, command, ...args], { timeoutMs });
}

async function sysctl(ns: string, key: string, value: string): Promise<void> {
  const r = await nsExec(ns, 'sysctl', ['-qw', `${key}=${value}`], 5000);
  if (r.status !== 0) throw new Error(`sysctl ${key}=${value} in ${ns}: ${r.stderr.trim()}`);
}

export class NetLab {
  readonly hosts = new Map<string, LabHost>();
  private readonly namespaces: string[] = [];
  private nextHost = 1;
  private readonly sw: string;

  /** `tag` keeps names unique per process, so parallel runs never share a namespace. */
  constructor(private readonly tag = `ss${process.pid}`) {
    this.sw = `${this.tag}-sw`;
  }

  /** Fails at once, with the reason, where namespaces cannot be made (not root, no iproute2). */
  static async check(): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('the network matrix needs root (ip netns add)');
    const r = await runPeer('ip', ['netns', 'list'], { timeoutMs: 5000 }).catch((e: unknown) => ({ status: 1, stdout: '', stderr: String(e) }));
    if (r.status !== 0) throw new Error(`ip netns does not work here: ${r.stderr.trim()} (install iproute2)`);
  }

  async start(): Promise<void> {
    await NetLab.removeOrphans();
    // A run cut short (timeout, SIGKILL of the runner) skips after-hooks; the exit handler still
    // runs on a normal or signalled exit, synchronously (nothing of ours is running by then).
    process.once('exit', () => {
      for (const ns of this.namespaces) spawnSync('ip', ['netns', 'del', ns]);
    });
    await this.addNamespace(this.sw);
    await ip(['-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge']);
    await ip(['-n', this.sw, 'link', 'set', 'br0', 'up']);
  }

  /** Namespaces left by an earlier run whose process is gone (`ss<pid>-...`). */
  static async removeOrphans(): Promise<void> {
    const r = await runPeer('ip', ['netns', 'list'], { timeoutMs: 5000 });
    for (const line of r.stdout.split('\n')) {
      const m = /^(ss(\d+)-\S+)/.exec(line);
      if (m === null) continue;
      let alive = true;
      try { process.kill(Number(m[2]), 0); } catch { alive = false; }
      if (!alive) await runPeer('ip', ['netns', 'del', m[1]], { timeoutMs: 5000 });
    }
  }

  async addHost(name: string, kind: HostKind): Promise<LabHost> {
    const ns = `${this.tag}-${name}`;
    const n = this.nextHost++;
    await this.addNamespace(ns);
    if (kind === 'v4') {
      // No IPv6 at all, not even ::1: set before the veth exists so that it inherits the default.
      await sysctl(ns, 'net.ipv6.conf.all.disable_ipv6', '1');
      await sysctl(ns, 'net.ipv6.conf.default.disable_ipv6', '1');
    }
    const port = `p${n}`;
    await ip(['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', this.sw]);
    await ip(['-n', this.sw, 'link', 'set', port, 'master', 'br0']);
    await ip(['-n', this.sw, 'link', 'set', port, 'up']);
    const host: LabHost = { ns, kind };
    if (kind !== 'v6') {
      host.v4 = `10.200.0.${n}`;
      await ip(['-n', ns, 'addr', 'add', `${host.v4}/24`, 'dev', 'eth0']);
    }
    if (kind !== 'v4') {
      host.v6 = `fd00:200::${n}`;
      // nodad: usable at once instead of after duplicate address detection (~2 s).
      await ip(['-n', ns, 'addr', 'add', `${host.v6}/64`, 'dev', 'eth0', 'nodad']);
    }
    await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
    this.hosts.set(name, host);
    return host;
  }

  /** Linux net.ipv6.bindv6only inside the host's namespace (0: [::] sockets also take IPv4). */
  async bindV6Only(host: LabHost, value: 0 | 1): Promise<void> {
    if (host.kind !== 'v4') await sysctl(host.ns, 'net.ipv6.bindv6only', String(value));
  }

  /** Takes a host's link down: what a client on a dropped network looks like. */
  async unplug(host: LabHost): Promise<void> {
    await ip(['-n', host.ns, 'link', 'set', 'eth0', 'down']);
  }

  /** Puts a host's link back up (after unplug): the network returns, the host's addresses with it. */
  async plug(host: LabHost): Promise<void> {
    await ip(['-n', host.ns, 'link', 'set', 'eth0', 'up']);
    // Linux drops IPv6 addresses when a link goes down (keep_addr_on_down=0): give it back.
    if (host.v6 !== undefined) await ip(['-n', host.ns, 'addr', 'replace', `${host.v6}/64`, 'dev', 'eth0', 'nodad']);
  }

  async destroy(): Promise<void> {
    for (const ns of this.namespaces.reverse()) {
      await runPeer('ip', ['netns', 'del', ns], { timeoutMs: 10000 }).catch(() => undefined);
    }
    this.namespaces.length = 0;
  }

  private async addNamespace(ns: string): Promise<void> {
    await ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  }
}
