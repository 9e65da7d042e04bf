// Real third-party peers for interop tests. A missing peer is installed when we can (root on
// Debian); otherwise the test fails with the command that installs it. Never a skip: under CI a
// missing peer is a failure like any other.
import { execFileSync, spawnSync } from 'node:child_process';

export interface PeerSpec {
  /** Executable name on PATH. */
  binary: string;
  /** Debian package that provides it. */
  debianPackage: string;
}

export const SIPP: PeerSpec = { binary: 'sipp', debianPackage: 'sip-tester' };
export const SIPSAK: PeerSpec = { binary: 'sipsak', debianPackage: 'sipsak' };
// finch (libpurple SIMPLE) and what test/interop/peers/finch-peer.sh needs around it.
export const FINCH: PeerSpec = { binary: 'finch', debianPackage: 'finch' };
export const LIBPURPLE_BIN: PeerSpec = { binary: 'purple-remote', debianPackage: 'libpurple-bin' };
export const TMUX: PeerSpec = { binary: 'tmux', debianPackage: 'tmux' };
export const DBUS: PeerSpec = { binary: 'dbus-daemon', debianPackage: 'dbus' };
// purple-remote is run with /usr/bin/python3, which needs the dbus module (a PATH python may lack it).
export const PYTHON3_DBUS: PeerSpec = { binary: '/usr/bin/python3 -c "import dbus"', debianPackage: 'python3-dbus' };
export const BARESIP: PeerSpec = { binary: 'baresip', debianPackage: 'baresip-core' };
export const KAMAILIO: PeerSpec = { binary: 'kamailio', debianPackage: 'kamailio' };
export const SVWAR: PeerSpec = { binary: 'svwar', debianPackage: 'sipvicious' };

function onPath(binary: string): string | undefined {
  // A binary with arguments is a probe command (e.g. a Python module check), run as it is.
  const probe = binary.includes(' ') ? `${binary} >/dev/null 2>&1 && echo ${binary.split(' ')[0]}` : `command -v ${binary}`;
  const r = spawnSync('sh', ['-c', probe], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

let aptUpdated = false;

/** Returns the peer's path, installing its Debian package first if it is missing and we can. */
export function requirePeer(peer: PeerSpec): string {
  const found = onPath(peer.binary);
  if (found) return found;
  const canInstall = process.getuid?.() === 0 && onPath('apt-get') !== undefined;
  if (!canInstall) {
    throw new Error(`${peer.binary} is not installed: run "apt-get install -y ${peer.debianPackage}" (as root) or "bash .ci/run"`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
    aptUpdated = true;
  }
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', peer.debianPackage], { stdio: 'ignore', env });
  const installed = onPath(peer.binary);
  if (!installed) throw new Error(`installed ${peer.debianPackage} but ${peer.binary} is still not on PATH`);
  return installed;
}
