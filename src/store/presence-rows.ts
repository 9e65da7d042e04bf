// Presence records <-> rows of migration 3 (publications, subscriptions, presence_rules).
// Positional parameters, like binding-row.ts: loaded once at start-up, written on every change.
import type { TransportProtocol } from '../transport/types.js';
import type { PresenceRuleRecord, PublicationRecord, SubscriptionRecord } from './types.js';

export const PUBLICATION_COLUMNS = 'etag, aor, event, expires_at, content_type, body, source, last_modified';

export type PublicationRow = [string, string, string, number, string, string, string, number];

export function publicationParams(p: PublicationRecord): PublicationRow {
  return [p.etag, p.aor, p.event, p.expiresAt, p.contentType, p.body, p.source, p.lastModified];
}

export function publicationFromRow(row: PublicationRow): PublicationRecord {
  const [etag, aor, event, expiresAt, contentType, body, source, lastModified] = row;
  return { etag, aor, event, expiresAt, contentType, body, source, lastModified };
}

export const SUBSCRIPTION_COLUMNS =
  'id, event, event_id, presentity, watcher, call_id, local_tag, remote_tag, remote_party, local_party, ' +
  'remote_target, route_set, local_contact, local_cseq, remote_cseq, expires_at, received_protocol, ' +
  'received_address, received_port, connection_id, listener, created_at';

export const SUBSCRIPTION_PLACEHOLDERS = SUBSCRIPTION_COLUMNS.split(',').map(() => '?').join(', ');

export type SubscriptionRow = [
  string, string, string | null, string, string, string, string, string, string, string,
  string, string, string, number, number, number, string, string, number, string | null, string, number,
];

export function subscriptionParams(s: SubscriptionRecord): SubscriptionRow {
  return [
    s.id, s.event, s.eventId ?? null, s.presentity, s.watcher, s.callId, s.localTag, s.remoteTag, s.remoteParty,
    s.localParty, s.remoteTarget, JSON.stringify(s.routeSet), s.localContact, s.localCseq, s.remoteCseq, s.expiresAt,
    s.received.protocol, s.received.address, s.received.port, s.connectionId ?? null, s.listener, s.createdAt,
  ];
}

/** NULL columns stay absent, so a record reads back deep-equal to what was put. */
export function subscriptionFromRow(row: SubscriptionRow): SubscriptionRecord {
  const [
    id, event, eventId, presentity, watcher, callId, localTag, remoteTag, remoteParty, localParty, remoteTarget,
    routeSet, localContact, localCseq, remoteCseq, expiresAt, protocol, address, port, connectionId, listener, createdAt,
  ] = row;
  const s: SubscriptionRecord = {
    id, event, presentity, watcher, callId, localTag, remoteTag, remoteParty, localParty, remoteTarget,
    routeSet: JSON.parse(routeSet) as string[], localContact, localCseq, remoteCseq, expiresAt,
    received: { protocol: protocol as TransportProtocol, address, port }, listener, createdAt,
  };
  if (eventId !== null) s.eventId = eventId;
  if (connectionId !== null) s.connectionId = connectionId;
  return s;
}

export function ruleFromRow(row: [string, string, string]): PresenceRuleRecord {
  return { presentity: row[0], watcher: row[1], decision: row[2] === 'block' ? 'block' : 'allow' };
}
