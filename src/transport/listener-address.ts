// What a listener binds to and what it really serves (IPv4, IPv6 or both), and how it is named.
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { formatHostPort } from '../sip/uri.js';
import type { AddressFamily, TransportProtocol } from './types.js';

export interface BindPlan {
  address: string;
  /** Passed to the socket call; only meaningful for `::`. */
  ipv6Only: boolean;
}

/**
 * `*` means every address of both families: one dual-stack IPv6 socket when the host has IPv6,
 * else the IPv4 wildcard (tried in this order). `::` alone follows the same dual-stack rule.
 */
export function bindPlans(host: string): BindPlan[] {
  if (host === '*') return [{ address: '::', ipv6Only: false }, { address: '0.0.0.0', ipv6Only: false }];
  return [{ address: host, ipv6Only: false }];
}

/** The host has no IPv6 (kernel without it, or IPv6 disabled): fall back to the next plan. */
export function isNoIPv6Error(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL' || code === 'EPROTONOSUPPORT';
}

let v6OnlyDefault: boolean | undefined;

/**
 * Linux's net.ipv6.bindv6only decides whether `::` without IPV6_V6ONLY also takes IPv4 (Node
 * leaves the option alone unless ipv6Only is set). Read once; assume dual-stack where unreadable.
 */
function systemBindsV6Only(): boolean {
  if (v6OnlyDefault === undefined) {
    try {
      v6OnlyDefault = readFileSync('/proc/sys/net/ipv6/bindv6only', 'utf8').trim() === '1';
    } catch {
      v6OnlyDefault = false;
    }
  }
  return v6OnlyDefault;
}

/**
 * The families a socket bound to `address` serves. libuv sets IPV6_V6ONLY explicitly on TCP sockets
 * (so `::` without ipv6Only is dual-stack whatever the sysctl says) but leaves UDP sockets to
 * net.ipv6.bindv6only: with bindv6only=1 a UDP `::` socket hears IPv6 only.
 */
export function boundFamilies(protocol: TransportProtocol, address: string, ipv6Only: boolean): AddressFamily[] {
  if (isIPv4(address)) return [4];
  if (address !== '::' || ipv6Only) return [6];
  return protocol === 'udp' && systemBindsV6Only() ? [6] : [4, 6];
}

export function listenerName(protocol: TransportProtocol, address: string, port: number): string {
  return `${protocol} ${formatHostPort(address, port)}`;
}

/** The bound address (IPv6 bare) and port of a listener's name (`tcp [::]:5060`), or undefined. */
export function listenerEndpoint(name: string): { address: string; port: number } | undefined {
  const m = /^\w+ \[?([^\]\s]*)\]?:(\d+)$/.exec(name);
  return m === null ? undefined : { address: m[1], port: Number(m[2]) };
}

/** `udp [::]:5060 (IPv4 and IPv6)`, `udp 0.0.0.0:5060 (IPv4 only)`, `tcp [::1]:5070 (IPv6 only)`. */
export function listenerDescription(name: string, families: readonly AddressFamily[]): string {
  const which = families.length === 2 ? 'IPv4 and IPv6' : families[0] === 4 ? 'IPv4 only' : 'IPv6 only';
  return `${name} (${which})`;
}
