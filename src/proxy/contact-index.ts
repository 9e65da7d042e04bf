// Requests addressed to a registered contact rather than to its AOR (in-dialog requests whose remote
// target is the contact, RFC 3261 12.2.1.1, and clients that dial a contact they learnt): they go where
// the contact registered from, like a request for the AOR, since the contact's own host may be one
// nobody can reach (a private or a wrong interface address).
import type { EventEmitter } from 'node:events';
import type { LocationEvents } from '../registrar/location-service.js';
import { isSipUri, type Uri } from '../sip/uri.js';
import type { BindingRecord } from '../store/types.js';
import { canonicalIPv6, mappedIPv4 } from '../sip/host.js';
import { normalizeEscapes } from '../sip/uri-equals.js';
import { parseUri } from '../sip/uri.js';

/**
 * user@host:port;transport, lower-case host: enough of RFC 3261 19.1.4 to tell contacts apart. An
 * IPv6 host as an address (uri-equals.ts): canonical, and an IPv4-mapped one as its IPv4 address.
 */
function keyOf(uri: Uri): string | undefined {
  if (!isSipUri(uri)) return undefined;
  const user = uri.user === undefined ? '' : normalizeEscapes(uri.user);
  const transport = (uri.params.get('transport') ?? 'udp').toLowerCase();
  const host = uri.hostKind === 'ipv6' ? mappedIPv4(uri.host) ?? canonicalIPv6(uri.host) : uri.host.toLowerCase();
  return `${uri.scheme}:${user}@${host}:${uri.port ?? ''};${transport}`;
}

export class ContactIndex {
  private readonly byContact = new Map<string, BindingRecord>();
  /**
   * Each binding's index key, by binding id. A binding keyed by +sip.instance and reg-id (RFC 5626 6)
   * keeps its id when it is registered again with another contact: its old key must go. The key is
   * the same string byContact holds, so this costs a map entry per binding, no copy.
   */
  private readonly keyById = new Map<string, string | undefined>();

  constructor(location: EventEmitter<LocationEvents> & { entries(): IterableIterator<BindingRecord> }) {
    for (const b of location.entries()) this.add(b);
    location.on('change', ({ type, binding }) => {
      if (type === 'removed') this.remove(binding);
      else this.add(binding);
    });
  }

  find(uri: Uri): BindingRecord | undefined {
    const key = keyOf(uri);
    return key === undefined ? undefined : this.byContact.get(key);
  }

  private add(b: BindingRecord): void {
    const known = this.keyById.get(b.id);
    // A refresh with the same contact text: same key, no parse.
    if (known !== undefined && this.byContact.get(known)?.contact === b.contact) {
      this.byContact.set(known, b);
      return;
    }
    this.drop(b.id, known);
    const key = keyOf(parseUri(b.contact));
    this.keyById.set(b.id, key);
    if (key !== undefined) this.byContact.set(key, b);
  }

  private remove(b: BindingRecord): void {
    const known = this.keyById.get(b.id);
    this.keyById.delete(b.id);
    this.drop(b.id, known);
  }

  /** Forgets `key` if it still names the binding `id` (another binding may have taken the contact). */
  private drop(id: string, key: string | undefined): void {
    if (key !== undefined && this.byContact.get(key)?.id === id) this.byContact.delete(key);
  }
}
