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
export const KAMAILIO: PeerSpec = { binary: 'kamailio', debianPackage: 'kamailio' };

function onPath(binary: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
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
