// OfflineMessage <-> offline_messages row (migration 2).
import type { OfflineMessage } from './types.js';

export const OFFLINE_COLUMNS = 'id, aor, from_header, received_at, expires_at, content_type, body';

export interface OfflineRow {
  id: number;
  aor: string;
  from_header: string;
  received_at: number;
  expires_at: number;
  content_type: string | null;
  body: Buffer;
}

export function offlineParams(m: OfflineMessage): [number, string, string, number, number, string | null, Buffer] {
  return [m.id, m.aor, m.from, m.receivedAt, m.expiresAt, m.contentType ?? null, Buffer.from(m.body)];
}

export function offlineFromRow(row: OfflineRow): OfflineMessage {
  const m: OfflineMessage = {
    id: row.id, aor: row.aor, from: row.from_header, receivedAt: row.received_at, expiresAt: row.expires_at, body: row.body,
  };
  if (row.content_type !== null) m.contentType = row.content_type;
  return m;
}
