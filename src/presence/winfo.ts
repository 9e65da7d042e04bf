// Watcher information documents (RFC 3858) for the presence.winfo package (RFC 3857): who watches a
// presentity, and in which state. Every NOTIFY carries the full state (RFC 3858 4.2 allows "full"
// at any time), so a subscriber that missed one is corrected by the next.
import { createHash } from 'node:crypto';

export const WATCHERINFO_NS = 'urn:ietf:params:xml:ns:watcherinfo';

/** RFC 3857 3.3: the states of a subscription as the presentity sees them. */
export type WatcherStatus = 'pending' | 'active' | 'waiting' | 'terminated';

export interface WatcherEntry {
  /** The dialog id; turned into an opaque, stable watcher id. */
  subscriptionId: string;
  watcher: string;
  status: WatcherStatus;
  /** RFC 3857 3.3 event that led to the status: subscribe, approved, rejected, timeout... */
  event: string;
  /** Seconds until the subscription expires. */
  expiresIn: number;
  /** Seconds since the subscription was created. */
  subscribedFor: number;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** RFC 3858 5.1: the id is unique within the list and must not reveal the dialog identifiers. */
function watcherId(subscriptionId: string): string {
  return `w${createHash('sha256').update(subscriptionId).digest('base64url').slice(0, 16)}`;
}

/** `version`: RFC 3858 4.1, one more in every NOTIFY of the winfo subscription. */
export function composeWatcherinfo(presentity: string, version: number, watchers: readonly WatcherEntry[]): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<watcherinfo xmlns="${WATCHERINFO_NS}" version="${version}" state="full">`,
    `  <watcher-list resource="${escapeXml(presentity)}" package="presence">`,
    ...watchers.map((w) =>
      `    <watcher id="${watcherId(w.subscriptionId)}" status="${w.status}" event="${w.event}" ` +
      `expiration="${w.expiresIn}" duration-subscribed="${w.subscribedFor}">${escapeXml(w.watcher)}</watcher>`),
    '  </watcher-list>',
    '</watcherinfo>',
    '',
  ];
  return lines.join('\n');
}
