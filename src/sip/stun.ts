// STUN Binding for SIP keepalives (RFC 5389; RFC 5626 4.4.2 and 8: a SIP UDP server answers Binding
// requests on its SIP port). Only what a keepalive needs: recognise a Binding request, answer it with
// XOR-MAPPED-ADDRESS, and read that attribute back on the client side.

import { ipv4Bytes, ipv6Bytes } from './ip-bytes.js';

/** RFC 5389 6: the fixed cookie that tells STUN apart from SIP and from RFC 3489 STUN. */
export const STUN_MAGIC_COOKIE = 0x2112a442;
const HEADER_LENGTH = 20;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const FAMILY_IPV4 = 0x01;
const FAMILY_IPV6 = 0x02;

/** RFC 5389 6: two zero bits, the magic cookie, a length that is a multiple of 4 and fits the buffer. */
export function isStunMessage(buf: Uint8Array): boolean {
  if (buf.length < HEADER_LENGTH || (buf[0] & 0xc0) !== 0) return false;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const length = view.getUint16(2);
  return view.getUint32(4) === STUN_MAGIC_COOKIE && length % 4 === 0 && HEADER_LENGTH + length === buf.length;
}

/** The 12-byte transaction id of a Binding request, or undefined for any other message. */
export function stunBindingRequestId(buf: Uint8Array): Buffer | undefined {
  if (!isStunMessage(buf) || ((buf[0] << 8) | buf[1]) !== BINDING_REQUEST) return undefined;
  return Buffer.from(buf.subarray(8, HEADER_LENGTH));
}

/**
 * RFC 5389 7.3.1 / 15.2: the Binding success response to `transactionId`, telling the client the
 * address and port its request came from (`address` IPv4 dotted or bare IPv6).
 */
export function stunBindingSuccess(transactionId: Uint8Array, address: string, port: number): Buffer {
  const v4 = address.includes(':') ? undefined : ipv4Bytes(address);
  const bytes = v4 ?? ipv6Bytes(address);
  if (!bytes) throw new RangeError(`not an IP address: ${address}`);
  const out = Buffer.alloc(HEADER_LENGTH + 4 + 4 + bytes.length);
  out.writeUInt16BE(BINDING_SUCCESS, 0);
  out.writeUInt16BE(4 + 4 + bytes.length, 2);
  out.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  out.set(transactionId.subarray(0, 12), 8);
  out.writeUInt16BE(XOR_MAPPED_ADDRESS, 20);
  out.writeUInt16BE(4 + bytes.length, 22);
  out[25] = v4 ? FAMILY_IPV4 : FAMILY_IPV6;
  out.writeUInt16BE(port ^ (STUN_MAGIC_COOKIE >>> 16), 26);
  // X-Address: XOR with the cookie (IPv4), or with cookie + transaction id (IPv6).
  for (let i = 0; i < bytes.length; i++) out[28 + i] = bytes[i] ^ out[4 + i];
  return out;
}

/**
 * The answer to a datagram that is a Binding request, else undefined: a success with the mapped
 * address, or, when the request carries comprehension-required attributes we do not know, the 420
 * error RFC 5389 7.3.1 requires.
 */
export function bindingSuccessResponse(request: Uint8Array, address: string, port: number): Buffer | undefined {
  const id = stunBindingRequestId(request);
  if (id === undefined) return undefined;
  const unknown = unknownRequiredAttributes(request);
  return unknown.length > 0 ? stunUnknownAttributes(id, unknown) : stunBindingSuccess(id, address, port);
}

/** RFC 5389 18.2: the attributes it defines; a Binding server knows them even when it ignores them. */
const KNOWN_ATTRIBUTES = new Set([0x0001, 0x0006, 0x0008, 0x0009, 0x000a, 0x0014, 0x0015, 0x0020]);
const BINDING_ERROR = 0x0111;
const ERROR_CODE = 0x0009;
const UNKNOWN_ATTRIBUTES = 0x000a;

/** RFC 5389 15: an attribute's value is padded to a multiple of 4 bytes. */
function padded(length: number): number {
  return length + ((4 - (length % 4)) % 4);
}

/**
 * The attributes of a STUN message, in order: type, where the value starts and its length. Stops at
 * the first one that would run past the end.
 */
function* attributes(message: Uint8Array): Generator<{ type: number; value: number; length: number }> {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  for (let at = HEADER_LENGTH; at + 4 <= message.length; at += 4 + padded(view.getUint16(at + 2))) {
    const length = view.getUint16(at + 2);
    if (at + 4 + length > message.length) return;
    yield { type: view.getUint16(at), value: at + 4, length };
  }
}

/** RFC 5389 15: types 0x0000-0x7FFF are comprehension-required; the ones of `request` we do not know. */
function unknownRequiredAttributes(request: Uint8Array): number[] {
  const unknown: number[] = [];
  for (const { type } of attributes(request)) if (type < 0x8000 && !KNOWN_ATTRIBUTES.has(type)) unknown.push(type);
  return unknown;
}

/** RFC 5389 7.3.1 / 15.6 / 15.9: a Binding error response 420 (Unknown Attribute) listing them. */
function stunUnknownAttributes(transactionId: Uint8Array, types: number[]): Buffer {
  const reason = Buffer.from('Unknown Attribute');
  const errorLength = 4 + reason.length;
  const errorPadded = padded(errorLength);
  const listLength = 2 * types.length;
  const listPadded = padded(listLength);
  const out = Buffer.alloc(HEADER_LENGTH + 4 + errorPadded + 4 + listPadded);
  out.writeUInt16BE(BINDING_ERROR, 0);
  out.writeUInt16BE(out.length - HEADER_LENGTH, 2);
  out.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  out.set(transactionId.subarray(0, 12), 8);
  let at = HEADER_LENGTH;
  out.writeUInt16BE(ERROR_CODE, at);
  out.writeUInt16BE(errorLength, at + 2);
  out[at + 6] = 4; // class 4
  out[at + 7] = 20; // number 20: 420
  reason.copy(out, at + 8);
  at += 4 + errorPadded;
  out.writeUInt16BE(UNKNOWN_ATTRIBUTES, at);
  out.writeUInt16BE(listLength, at + 2);
  types.forEach((t, i) => out.writeUInt16BE(t, at + 4 + 2 * i));
  return out;
}

function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // RFC 5952 4.2: the longest run (of two or more) of zero groups becomes `::`.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** RFC 5389 15.2: the XOR-MAPPED-ADDRESS of a Binding success response (a client's view of its NAT). */
export function decodeXorMappedAddress(response: Uint8Array): { address: string; port: number } | undefined {
  if (!isStunMessage(response) || ((response[0] << 8) | response[1]) !== BINDING_SUCCESS) return undefined;
  for (const { type, value, length } of attributes(response)) {
    if (type !== XOR_MAPPED_ADDRESS || length < 8) continue;
    const family = response[value + 1];
    const port = ((response[value + 2] << 8) | response[value + 3]) ^ (STUN_MAGIC_COOKIE >>> 16);
    const size = family === FAMILY_IPV4 ? 4 : family === FAMILY_IPV6 ? 16 : 0;
    if (size === 0 || length < 4 + size) return undefined;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = response[value + 4 + i] ^ response[4 + i];
    return { address: size === 4 ? bytes.join('.') : formatIPv6(bytes), port };
  }
  return undefined;
}

export interface StunBindingRequest {
  /** 96-bit transaction ID (RFC 5389 6). */
  transactionId: Buffer;
}

/** The Binding request in buf, or undefined when buf is anything else. */
export function parseStunBindingRequest(buf: Uint8Array): StunBindingRequest | undefined {
  const transactionId = stunBindingRequestId(buf);
  return transactionId === undefined ? undefined : { transactionId };
}

/**
 * The Binding success response to `request` with XOR-MAPPED-ADDRESS (RFC 5389 15.2).
 * `family` must agree with the address text; it is checked so that a mix-up fails loudly.
 */
export function buildStunBindingSuccess(request: StunBindingRequest, mappedAddress: string, port: number, family: 4 | 6): Buffer {
  if ((family === 6) !== mappedAddress.includes(':')) throw new RangeError(`${mappedAddress} is not an IPv${family} address`);
  return stunBindingSuccess(request.transactionId, mappedAddress, port);
}
