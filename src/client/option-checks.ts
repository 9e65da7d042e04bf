// Checks of what the application hands the user agent: a bad value is a SipClientError
// ('invalid-option') that names it, before anything is sent; never a RangeError or TypeError from
// deep in the stack, a malformed header, or an 'unreachable' that sends the user looking at the network.
import { codePointName, firstNonXmlCharacter } from '../presence/pidf.js';
import { formatHost } from '../sip/uri.js';
import { addressFamily, normalizeAddress } from '../transport/address.js';
import type { TransportProtocol } from '../transport/types.js';
import { SipClientError } from './errors.js';
import type { PresenceSetting, UserAgentOptions } from './types.js';

const TRANSPORTS: ReadonlySet<TransportProtocol> = new Set(['udp', 'tcp', 'tls', 'ws', 'wss']);

/** C0 controls but HTAB, and DEL: RFC 3261 25.1 has no way to write them in a header value (CR and LF end the header). */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

const invalid = (message: string): SipClientError => new SipClientError('invalid-option', message);

function wholeSeconds(name: string, value: number | undefined, why: string): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) throw invalid(`${name} ${value}: ${why}`);
}

/** Text that goes into a header: a string without control characters. */
function headerText(name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'string') throw invalid(`${name} must be a string, not ${typeof value}`);
  if (CONTROL.test(value)) throw invalid(`${name} ${JSON.stringify(value)} has a control character (CR, LF, ...), which a SIP header cannot carry`);
}

/** The options given to new UserAgent(). */
export function checkOptions(o: UserAgentOptions): void {
  if (typeof o.aor !== 'string') throw invalid(`the address of record must be a string such as "sip:alice@example.com", not ${typeof o.aor}`);
  wholeSeconds('expires', o.expires, 'a registration needs a whole number of seconds above 0 (0 would remove it)');
  wholeSeconds('presenceExpires', o.presenceExpires, 'a subscription or publication needs a whole number of seconds above 0');
  for (const [name, value] of Object.entries(o.timers ?? {})) {
    // RFC 3261 17.1.1.1: T1 is an estimate of the round-trip time; every timer is a span of time above 0.
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw invalid(`timer ${name} ${String(value)}: a number of milliseconds above 0`);
    }
  }
  const ports = o.localPorts;
  if (ports !== undefined) {
    const port = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
    if (typeof ports !== 'object' || ports === null || !port(ports.min) || !port(ports.max) || ports.min > ports.max) {
      throw invalid(`localPorts ${JSON.stringify(ports)}: expected { min, max }, whole numbers from 0 to 65535 with min <= max (0: any free port)`);
    }
  }
  for (const name of ['closeTimeoutMs', 'keepaliveIntervalMs', 'keepaliveTimeoutMs', 'typingIdleMs', 'typingRefreshSeconds'] as const) {
    const value: unknown = o[name];
    // A span of time: a finite number, 0 allowed where it means "at once" (closeTimeoutMs) but never negative.
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw invalid(`${name} ${String(value)}: a number of ${name.endsWith('Seconds') ? 'seconds' : 'milliseconds'}, 0 or more`);
    }
  }
  if (o.transport !== undefined && !TRANSPORTS.has(o.transport)) throw invalid(`transport "${String(o.transport)}": expected udp, tcp, tls, ws or wss`);
  headerText('displayName', o.displayName);
  headerText('userAgent', o.userAgent);
  headerText('username', o.username);
  // RFC 6455 3 / RFC 7230 5.3.1: the resource name is an absolute path, no spaces.
  if (o.wsPath !== undefined && !(typeof o.wsPath === 'string' && /^\/[^\s\u0000-\u001f\u007f]*$/.test(o.wsPath))) {
    throw invalid(`wsPath ${JSON.stringify(o.wsPath)}: expected a path that starts with "/", without spaces, such as "/sip"`);
  }
}

/**
 * What localAddressFor answered toward `remote`: the address Via and Contact will carry (RFC 3261
 * 18.1.1, 20.42: a sent-by the server can send responses to). An IPv4-mapped address is the IPv4
 * address it carries; a wildcard (nobody can reach `0.0.0.0` or `::`) or anything but an IP address
 * is the application's mistake (README: never `::ffff:`, never a wildcard).
 */
export function checkLocalAddress(answer: unknown, remote: string): string {
  const address = typeof answer === 'string' ? normalizeAddress(answer) : '';
  const what = `localAddressFor answered ${typeof answer === 'string' ? JSON.stringify(answer) : String(answer)} toward ${formatHost(remote)}`;
  if (addressFamily(address) === undefined) throw invalid(`${what}: expected the IP address of ours routed toward it, such as 192.0.2.10`);
  if (address === '0.0.0.0' || address === '::') throw invalid(`${what}: a wildcard address, which no one can send to; expected the IP address of ours routed toward it`);
  return address;
}

/** The content type of a MESSAGE: it becomes the Content-Type header as given. */
export function checkContentType(type: string): void {
  if (typeof type !== 'string' || CONTROL.test(type)) {
    throw invalid(`content type ${JSON.stringify(type)} has a control character (CR, LF, ...), which a SIP header cannot carry`);
  }
}

/** What setPresence() publishes: basic open or closed (RFC 3863 4.1.4), a note that is XML text. */
export function checkPresenceSetting(setting: PresenceSetting): void {
  if (typeof setting !== 'object' || setting === null) throw invalid('setPresence needs { basic, note?, activity? }');
  if (setting.basic !== 'open' && setting.basic !== 'closed') throw invalid(`basic ${JSON.stringify(setting.basic)}: expected "open" or "closed" (RFC 3863 4.1.4)`);
  if (setting.note !== undefined && typeof setting.note !== 'string') throw invalid(`note must be a string, not ${typeof setting.note}`);
  // The same test the presence agent applies to what it receives (presence/pidf.ts).
  const bad = setting.note === undefined ? undefined : firstNonXmlCharacter(setting.note);
  if (bad !== undefined) {
    throw invalid(`note has ${codePointName(bad.code)}, a character XML 1.0 does not allow, so no PIDF document can carry it`);
  }
}
