// RFC 3261 16.5/16.6: from the bindings of an AOR to the branches of a fork. Each branch has the
// Request-URI it carries (the registered contact) and where its bytes really go: the address and
// connection the REGISTER came from (the Contact may name an address nobody can reach: libpurple
// writes its first interface address while sending from 127.0.0.1), or the first Path entry
// (RFC 3327 5: the registrar's Path becomes the request's route set).
import { nameAddrWithIPv4Host, uriWithIPv4Host } from '../sip/mapped-host.js';
import { parseNameAddr } from '../sip/name-addr.js';
import { isSipUri, formatUri, parseUri } from '../sip/uri.js';
import type { BindingRecord } from '../store/types.js';
import type { SendTarget } from '../transport/types.js';
import type { Destination } from './branch.js';

export interface BranchTarget {
  /** The new Request-URI (RFC 3261 16.6 step 2); undefined: unchanged. */
  requestUri?: string;
  /** Route values to put on top, in order (RFC 3327 5: the binding's Path). */
  routes: string[];
  /**
   * Where to send: a concrete target, a URI still to resolve (a Path entry or a Route naming a host),
   * or nowhere: an RFC 5626 outbound binding whose connection is gone (answered 430, 5.3).
   */
  destination: Destination;
  binding?: BindingRecord;
}

/**
 * The Request-URI of a contact is the same every time it is forked to: the parse and format are
 * done once per contact (a bounded cache, emptied when full), not once per forwarded request.
 */
const REQUEST_URI_CACHE_SIZE = 4096;
const requestUris = new Map<string, string>();

/**
 * RFC 3261 16.6 step 2 / 19.1.5: header components ("?...") of a contact are not allowed in a
 * Request-URI, nor is the method parameter (19.1.1 table 1): they are stripped. An IPv4-mapped host
 * is written as the IPv4 address it carries (sip/mapped-host.ts: the same address, no `::ffff:`).
 */
export function requestUriOf(contact: string): string {
  let text = requestUris.get(contact);
  if (text === undefined) {
    if (requestUris.size >= REQUEST_URI_CACHE_SIZE) requestUris.clear();
    text = strippedUri(uriWithIPv4Host(contact));
    requestUris.set(contact, text);
  }
  return text;
}

function strippedUri(contact: string): string {
  const uri = parseUri(contact);
  if (!isSipUri(uri)) return contact;
  const params = new Map(uri.params);
  params.delete('method');
  return formatUri({ ...uri, params, headers: [] });
}

/** `isOpen`: whether a stream connection (connectionId) is still open. */
export function branchTarget(binding: BindingRecord, isOpen: (connectionId: string) => boolean): BranchTarget {
  const requestUri = requestUriOf(binding.contact);
  if (binding.path.length > 0) {
    const first = parseNameAddr(binding.path[0]).uri;
    // RFC 3327 5: the Path as the route set, a mapped host written as its IPv4 address (mapped-host.ts).
    if (isSipUri(first)) return { requestUri, routes: binding.path.map(nameAddrWithIPv4Host), destination: { kind: 'resolve', uri: first }, binding };
  }
  const { protocol, address, port } = binding.received;
  const connectionId = binding.connectionId;
  if (connectionId !== undefined && binding.flags.includes('outbound') && !isOpen(connectionId)) {
    return { requestUri, routes: [], destination: { kind: 'flow-failed' }, binding };
  }
  const target: SendTarget = { protocol, address, port };
  if (connectionId !== undefined) target.connectionId = connectionId;
  else if (protocol === 'udp') target.listener = binding.socket.replace(':', ' ');
  return { requestUri, routes: [], destination: { kind: 'direct', target }, binding };
}
