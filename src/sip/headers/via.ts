// Via (RFC 3261 20.42, 25.1; RFC 3581 rport; RFC 5118 4.5 received with IPv6).

import { badRequest } from '../errors.js';
import { codesOf, skipSpaces, trimSpaces } from '../codes.js';
import { classifyHost, classifyHostAt, classifyHostRun, formatHostPort, hostRunKind, isIPv6, parsePort, type HostKind } from '../host.js';
import { findListEnd, PARAM, paramsSeen, paramValue, parseParams, parseUint, tokenEnd, upperCaseToken } from '../scan.js';

export interface Via {
  /** Upper-case transport token as sent: UDP, TCP, TLS, SCTP, WS, WSS or an extension. */
  transport: string;
  host: string;
  hostKind: HostKind;
  port?: number;
  /** Every parameter in order: lower-cased names, values as written. */
  params: Map<string, string | null>;
  branch?: string;
  /** Bare address, no brackets. */
  received?: string;
  /** undefined = absent, null = present without value (RFC 3581 4). */
  rport: number | null | undefined;
  maddr?: string;
  ttl?: number;
}

const WHAT = 'Via';

function fail(detail: string): never {
  throw badRequest(`malformed Via header (${detail})`);
}

/** One via-parm: sent-protocol LWS sent-by *( SEMI via-params ). */
export function parseVia(text: string): Via {
  return parseViaAt(text, codesOf(text), 0, text.length);
}

/** parseVia on text[start, end) with its char codes b: the message text with offsets, so that no slice is scanned. */
function parseViaAt(text: string, b: Buffer, start: number, end: number): Via {
  let i = skipSpaces(b, start, end);
  const nameEnd = tokenEnd(b, i, end);
  if (nameEnd - i !== 3 || !isSip(b, i)) fail('protocol name');
  i = expectSlash(b, nameEnd, end);
  const versionEnd = tokenEnd(b, i, end);
  if (versionEnd === i) fail('protocol version');
  i = expectSlash(b, versionEnd, end);
  const transportEnd = tokenEnd(b, i, end);
  if (transportEnd === i) fail('transport');
  const transport = transportName(text, b, i, transportEnd);
  i = skipSpaces(b, transportEnd, end);
  if (i === transportEnd) fail('missing sent-by');
  let host: string;
  let hostKind: HostKind | undefined;
  if (i < end && b[i] === 91) {
    const close = text.indexOf(']', i);
    if (close === -1 || close >= end) fail('unterminated IPv6 reference');
    host = text.slice(i + 1, close);
    hostKind = isIPv6(host) ? 'ipv6' : undefined;
    i = close + 1;
  } else {
    const hostStart = i;
    i = classifyHostRun(b, hostStart, end);
    hostKind = hostRunKind;
    if (i < end && !endsSentBy(b[i])) {
      // A char no hostname has: the host runs on to the next delimiter, and is told apart as a whole.
      while (i < end && !endsSentBy(b[i])) i++;
      hostKind = classifyHostAt(text, b, hostStart, i);
    }
    host = text.slice(hostStart, i);
  }
  if (hostKind === undefined) fail('bad host');
  let port: number | undefined;
  let j = skipSpaces(b, i, end);
  if (j < end && b[j] === 58) {
    j = skipSpaces(b, j + 1, end);
    const portStart = j;
    while (j < end && b[j] >= 48 && b[j] <= 57) j++;
    port = parsePort(b, portStart, j);
    if (port < 0) fail('bad port');
    i = j;
  }
  const paramsStart = i;
  i = parseParams(text, b, i, undefined, WHAT, end);
  const seen = paramsSeen;
  if (i !== end) fail('unexpected character');
  const via: Via = new ParsedVia(transport, host, hostKind, text, b, paramsStart, end);
  if (port !== undefined) via.port = port;
  if ((seen & TYPED) !== 0) applyTypedParams(via, seen);
  return via;
}

/** A parsed Via: the parameters stay a range of the message text until `params` is read (see ParsedNameAddr). */
class ParsedVia implements Via {
  transport: string;
  host: string;
  hostKind: HostKind;
  rport: number | null | undefined = undefined;
  declare port?: number;
  declare branch?: string;
  declare received?: string;
  declare maddr?: string;
  declare ttl?: number;
  #params: Map<string, string | null> | undefined = undefined;
  readonly #text: string;
  readonly #b: Buffer;
  readonly #start: number;
  readonly #end: number;

  constructor(transport: string, host: string, hostKind: HostKind, text: string, b: Buffer, start: number, end: number) {
    this.transport = transport;
    this.host = host;
    this.hostKind = hostKind;
    this.#text = text;
    this.#b = b;
    this.#start = start;
    this.#end = end;
  }

  get params(): Map<string, string | null> {
    let params = this.#params;
    if (params === undefined) {
      params = new Map();
      parseParams(this.#text, this.#b, this.#start, params, WHAT, this.#end);
      this.#params = params;
    }
    return params;
  }

  set params(params: Map<string, string | null>) {
    this.#params = params;
  }
}

/** The chars that end the host of a sent-by: the port's colon, a parameter, LWS, the next via-parm. */
function endsSentBy(c: number): boolean {
  return c === 58 || c === 59 || c === 32 || c === 9 || c === 44;
}

/** The usual transports (RFC 3261 20.42, RFC 7118) as constants; any other token upper-cased. */
const TRANSPORTS = ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'];

function transportName(text: string, b: Buffer, start: number, end: number): string {
  for (let n = 0; n < TRANSPORTS.length; n++) {
    const t = TRANSPORTS[n];
    if (t.length !== end - start) continue;
    let k = 0;
    // Folding with & 0xdf is right here: the candidates are letters only.
    while (k < t.length && (b[start + k] & 0xdf) === t.charCodeAt(k)) k++;
    if (k === t.length) return t;
  }
  return upperCaseToken(text.slice(start, end));
}

/** `SIP` in any case at b[i] (protocol-name, RFC 3261 25.1: the token is case-insensitive). */
function isSip(b: Buffer, i: number): boolean {
  return (b[i] | 0x20) === 115 && (b[i + 1] | 0x20) === 105 && (b[i + 2] | 0x20) === 112;
}

function expectSlash(b: Buffer, i: number, end: number): number {
  i = skipSpaces(b, i, end);
  if (i === end || b[i] !== 47) fail('sent-protocol');
  return skipSpaces(b, i + 1, end);
}

/** The parameters with a typed field of their own. */
const TYPED = PARAM.branch | PARAM.received | PARAM.rport | PARAM.maddr | PARAM.ttl;

/** `seen` (paramsSeen) tells which are present: the others are not looked up. */
function applyTypedParams(via: Via, seen: number): void {
  const branch = (seen & PARAM.branch) !== 0 ? paramValue(PARAM.branch) : undefined;
  if (branch !== undefined) {
    if (branch === null) fail('branch without value');
    via.branch = branch;
  }
  const received = (seen & PARAM.received) !== 0 ? paramValue(PARAM.received) : undefined;
  if (received !== undefined) {
    if (received === null) fail('received without value');
    // RFC 5118 4.5: accept the IPv6 address with or without brackets; store it bare.
    const bare = received.charCodeAt(0) === 91 && received.charCodeAt(received.length - 1) === 93
      ? received.slice(1, -1)
      : received;
    const kind = classifyHost(bare);
    if (kind !== 'ipv4' && kind !== 'ipv6') fail('received is not an IP address');
    via.received = bare;
  }
  const rport = (seen & PARAM.rport) !== 0 ? paramValue(PARAM.rport) : undefined;
  if (rport !== undefined) {
    if (rport === null) {
      via.rport = null;
    } else {
      const n = parsePort(codesOf(rport), 0, rport.length);
      if (n < 0) fail('bad rport');
      via.rport = n;
    }
  }
  const maddr = (seen & PARAM.maddr) !== 0 ? paramValue(PARAM.maddr) : undefined;
  if (maddr !== undefined) {
    if (maddr === null) fail('maddr without value');
    via.maddr = maddr.charCodeAt(0) === 91 ? maddr.slice(1, -1) : maddr;
  }
  const ttl = (seen & PARAM.ttl) !== 0 ? paramValue(PARAM.ttl) : undefined;
  if (ttl !== undefined) {
    const n = ttl === null ? -1 : parseUint(ttl, 255);
    if (n < 0) fail('bad ttl');
    via.ttl = n;
  }
}

/**
 * Every via-parm of one Via header value text[start, end) (offsets into the message text, char codes b): several
 * may share a line, separated by commas.
 */
export function parseViaList(text: string, b: Buffer, start: number, end: number, out: Via[]): void {
  const comma = text.indexOf(',', start);
  if (comma === -1 || comma >= end) {
    out.push(parseViaAt(text, b, start, end));
    return;
  }
  let i = start;
  while (i <= end) {
    const j = findListEnd(text, i, end);
    if (trimSpaces(b, i, j) === skipSpaces(b, i, j)) fail('empty element');
    out.push(parseViaAt(text, b, i, j));
    i = j + 1;
  }
}

/** Typed fields win over the params map, so setting `via.received` and formatting updates the text. */
export function formatVia(v: Via): string {
  let out = `SIP/2.0/${v.transport} ${formatHostPort(v.host, v.port)}`;
  const typed: Record<string, string | null | undefined> = {
    branch: v.branch,
    received: v.received,
    rport: v.rport === undefined ? undefined : v.rport === null ? null : String(v.rport),
    maddr: v.maddr,
    ttl: v.ttl === undefined ? undefined : String(v.ttl),
  };
  const done = new Set<string>();
  for (const [name, value] of v.params) {
    if (name in typed) {
      done.add(name);
      out += param(name, typed[name]);
    } else {
      out += value === null ? `;${name}` : `;${name}=${value}`;
    }
  }
  for (const name of Object.keys(typed)) if (!done.has(name)) out += param(name, typed[name]);
  return out;
}

function param(name: string, value: string | null | undefined): string {
  if (value === undefined) return '';
  return value === null ? `;${name}` : `;${name}=${value}`;
}
