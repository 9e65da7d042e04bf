// BindingRecord <-> bindings row. Positional parameters and plain objects: this runs for every
// REGISTER and for every row at start-up, so no per-call reflection over field names.
import type { TransportProtocol } from '../transport/types.js';
import type { BindingRecord } from './types.js';

export const BINDING_COLUMNS =
  'id, aor, contact, expires_at, q, call_id, cseq, user_agent, received_protocol, received_address, ' +
  'received_port, socket, connection_id, path, methods, instance, reg_id, flags, last_keepalive, last_modified';

export const BINDING_PLACEHOLDERS = '?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?';

export interface BindingRow {
  id: string;
  aor: string;
  contact: string;
  expires_at: number;
  q: number | null;
  call_id: string;
  cseq: number;
  user_agent: string | null;
  received_protocol: string;
  received_address: string;
  received_port: number;
  socket: string;
  connection_id: string | null;
  path: string;
  methods: string | null;
  instance: string | null;
  reg_id: number | null;
  flags: string;
  last_keepalive: number | null;
  last_modified: number;
}

export type BindingParams = [
  string, string, string, number, number | null, string, number, string | null, string, string,
  number, string, string | null, string, string | null, string | null, number | null, string,
  number | null, number,
];

// Most bindings have no Path and no flags: skip JSON for the common case.
function encodeList(list: readonly string[]): string {
  return list.length === 0 ? '[]' : JSON.stringify(list);
}

function decodeList(text: string): string[] {
  return text === '[]' ? [] : (JSON.parse(text) as string[]);
}

/** Throws TypeError on a record that is not a BindingRecord (caught by put() and turned into a rejection). */
export function bindingParams(b: BindingRecord): BindingParams {
  const r = b.received;
  if (r === undefined || r === null) throw new TypeError(`binding ${String(b.id)}: received is missing`);
  if (!Array.isArray(b.path) || !Array.isArray(b.flags)) throw new TypeError(`binding ${String(b.id)}: path and flags must be arrays`);
  return [
    b.id, b.aor, b.contact, b.expiresAt, b.q ?? null, b.callId, b.cseq, b.userAgent ?? null,
    r.protocol, r.address, r.port, b.socket, b.connectionId ?? null, encodeList(b.path),
    b.methods === undefined ? null : JSON.stringify(b.methods), b.instance ?? null, b.regId ?? null,
    encodeList(b.flags), b.lastKeepalive ?? null, b.lastModified,
  ];
}

/** Optional fields that are NULL stay absent, so a record reads back deep-equal to what was put. */
export function bindingFromRow(row: BindingRow): BindingRecord {
  const b: BindingRecord = {
    id: row.id,
    aor: row.aor,
    contact: row.contact,
    expiresAt: row.expires_at,
    callId: row.call_id,
    cseq: row.cseq,
    received: { protocol: row.received_protocol as TransportProtocol, address: row.received_address, port: row.received_port },
    socket: row.socket,
    path: decodeList(row.path),
    flags: decodeList(row.flags),
    lastModified: row.last_modified,
  };
  if (row.q !== null) b.q = row.q;
  if (row.user_agent !== null) b.userAgent = row.user_agent;
  if (row.connection_id !== null) b.connectionId = row.connection_id;
  if (row.methods !== null) b.methods = JSON.parse(row.methods) as string[];
  if (row.instance !== null) b.instance = row.instance;
  if (row.reg_id !== null) b.regId = row.reg_id;
  if (row.last_keepalive !== null) b.lastKeepalive = row.last_keepalive;
  return b;
}
