// Where the control API listens (server) and where `ctl` looks for it: `HOST:PORT`, `[::1]:PORT`.
// The API has no authentication of its own: whoever can connect can delete bindings and users, so
// the server only ever listens on a loopback address (secure by default, nothing to configure).
import { isIP } from 'node:net';
import { formatHostPort } from '../sip/uri.js';

export const DEFAULT_CONTROL_PORT = 5099;
export const DEFAULT_CONTROL = `127.0.0.1:${DEFAULT_CONTROL_PORT}`;
/** Environment variable `ctl` reads when `--control` is not given. */
export const CONTROL_ENV = 'SIMPLESIP_CONTROL';

export interface ControlAddress {
  /** An IP address, IPv6 bare (no brackets). */
  host: string;
  port: number;
}

export class ControlAddressError extends Error {}

/** `127.0.0.1:5099`, `[::1]:5099`, `localhost:5099` (taken as 127.0.0.1); port 0 = any free port. */
export function parseControlAddress(text: string): ControlAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ControlAddressError(`the control address is HOST:PORT (e.g. ${DEFAULT_CONTROL} or [::1]:${DEFAULT_CONTROL_PORT}), not "${text}"`);
  }
  const raw = m[1] ?? m[2];
  // localhost may resolve to ::1 or 127.0.0.1 depending on the machine; pick one so the server and
  // ctl agree without a resolver in between.
  const host = raw.toLowerCase() === 'localhost' ? '127.0.0.1' : raw;
  if (isIP(host) === 0) throw new ControlAddressError(`the control address needs an IP address or localhost, not "${raw}"`);
  if (m[1] !== undefined && isIP(host) !== 6) throw new ControlAddressError(`only IPv6 addresses go in brackets: "${text}"`);
  return { host, port };
}

/** 127.0.0.0/8 and ::1 (an IPv4-mapped loopback such as ::ffff:127.0.0.1 counts too). */
export function isLoopback(host: string): boolean {
  const v4 = host.toLowerCase().startsWith('::ffff:') ? host.slice(7) : host;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  // The URL parser writes IPv6 in its canonical form, so 0:0:0:0:0:0:0:1 and ::1 compare equal.
  return isIP(host) === 6 && new URL(`http://[${host}]/`).hostname === '[::1]';
}

/** The address the server may listen on, or an error saying why not. */
export function parseServerControlAddress(text: string): ControlAddress {
  const address = parseControlAddress(text);
  if (!isLoopback(address.host)) {
    throw new ControlAddressError(
      `the control API has no authentication and listens on loopback only (127.0.0.1, ::1 or localhost), not ${address.host}`);
  }
  return address;
}

export function formatControlAddress(address: ControlAddress): string {
  return formatHostPort(address.host, address.port);
}
