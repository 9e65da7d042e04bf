// OfflineMessage <-> offline_messages row (migrations 2, 5 and 8).
import type { OfflineMessage, OfflineMessageSummary } from './types.js';

export const OFFLINE_COLUMNS = 'id, aor, from_header, received_at, expires_at, content_type, body, headers, bytes';
export const OFFLINE_PLACEHOLDERS = '?, ?, ?, ?, ?, ?, ?, ?, ?';

/**
 * A page of summaries (OfflineMessageSummary), after an id: none of the content, so a start reads no
 * body; all four columns are in the index offline_messages_summary (migration 8), which SQLite reads
 * instead of the table.
 */
export const OFFLINE_SUMMARY_PAGE = 'SELECT id, aor, expires_at, bytes FROM offline_messages WHERE id > ? ORDER BY id LIMIT ?';

export type OfflineSummaryRow = [id: number, aor: string, expiresAt: number, bytes: number];

export function offlineSummaryFromRow(row: OfflineSummaryRow): OfflineMessageSummary {
  return { id: row[0], aor: row[1], expiresAt: row[2], bytes: row[3] };
}

/** The headers column: JSON [[name, value], ...], or NULL for none. */
function headersColumn(m: OfflineMessage): string | null {
  return m.headers === undefined || m.headers.length === 0 ? null : JSON.stringify(m.headers);
}

/**
 * What a message takes in the store (the `bytes` column, OfflineMessageSummary.bytes): its body,
 * sender, Content-Type and other headers as stored, in bytes. Migration 8 computes the same for the
 * rows stored before it.
 */
export function offlineMessageBytes(m: OfflineMessage): number {
  const headers = headersColumn(m);
  return m.body.length + Buffer.byteLength(m.from) + Buffer.byteLength(m.contentType ?? '') + (headers === null ? 0 : Buffer.byteLength(headers));
}

export interface OfflineRow {
  id: number;
  aor: string;
  from_header: string;
  received_at: number;
  expires_at: number;
  content_type: string | null;
  body: Buffer;
  /** JSON [[name, value], ...] or NULL (migration 5). */
  headers: string | null;
  /** offlineMessageBytes() of the message (migration 8). */
  bytes: number;
}

export function offlineParams(m: OfflineMessage): [number, string, string, number, number, string | null, Buffer, string | null, number] {
  return [m.id, m.aor, m.from, m.receivedAt, m.expiresAt, m.contentType ?? null, Buffer.from(m.body), headersColumn(m), offlineMessageBytes(m)];
}

/** The stored header list; anything but a list of [name, value] string pairs counts as none. */
function headersFromColumn(text: string | null): Array<[string, string]> | undefined {
  if (text === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const pairs = parsed.filter((p): p is [string, string] => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');
  return pairs.length === 0 ? undefined : pairs.map(([n, v]) => [n, v]);
}

export function offlineFromRow(row: OfflineRow): OfflineMessage {
  const m: OfflineMessage = {
    id: row.id, aor: row.aor, from: row.from_header, receivedAt: row.received_at, expiresAt: row.expires_at, body: row.body,
  };
  if (row.content_type !== null) m.contentType = row.content_type;
  const headers = headersFromColumn(row.headers);
  if (headers !== undefined) m.headers = headers;
  return m;
}
