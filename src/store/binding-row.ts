// BindingRecord <-> bindings row. Positional parameters and plain objects: this runs for every
// REGISTER and for every row at start-up, so no per-call reflection over field names.
import type { TransportProtocol } from '../transport/types.js';
import type { BindingRecord } from './types.js';

export const BINDING_COLUMNS =
  'id, aor, contact, expires_at, q, call_id, cseq, user_agent, received_protocol, received_address, ' +
  'received_port, socket, connection_id, path, methods, instance, reg_id, flags, last_keepalive, last_modified';

export const BINDING_PLACEHOLDERS = '?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?';

/**
 * Every column but the id set from the row being inserted (an upsert's DO UPDATE clause). A refresh
 * then updates its row in place, where INSERT OR REPLACE deleted it and inserted it again, with both
 * index entries: about 20% less SQLite time per REGISTER (tmp benchmark: 6.0 -> 4.8 us per row).
 */
export const BINDING_UPDATES = BINDING_COLUMNS.split(', ').slice(1).map((c) => `${c} = excluded.${c}`).join(', ');

/**
 * The columns a refresh changes (BindingRepository.refresh): an UPDATE of these five instead of the
 * whole row's upsert, about 1.3 us less SQLite CPU per refreshed binding (tmp benchmark, 20 rows per
 * commit: 4.6 -> 3.3 us per row).
 */
const REFRESHED_COLUMNS = ['expires_at', 'call_id', 'cseq', 'last_keepalive', 'last_modified'];

export const BINDING_REFRESH = `UPDATE bindings SET ${REFRESHED_COLUMNS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`;

/** Where BINDING_REFRESH's parameters sit in BindingParams (BINDING_COLUMNS order). */
const REFRESH_POSITIONS = [...REFRESHED_COLUMNS, 'id'].map((column) => {
  const position = BINDING_COLUMNS.split(', ').indexOf(column);
  if (position < 0) throw new Error(`binding-row: no column ${column}`);
  return position;
});

/** The parameters of BINDING_REFRESH, taken from a binding's full parameters. */
export function refreshParams(p: BindingParams): Array<BindingParams[number]> {
  return REFRESH_POSITIONS.map((i) => p[i]);
}

/**
 * A row as better-sqlite3 returns it in raw mode (an array in BINDING_COLUMNS order): about twice as
 * fast to load as one object per row with named keys, which matters for a million bindings at start-up.
 */
export type BindingRow = BindingParams;

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
  const [id, aor, contact, expiresAt, q, callId, cseq, userAgent, protocol, address, port, socket, connectionId, path, methods, instance, regId, flags, lastKeepalive, lastModified] = row;
  const b: BindingRecord = {
    id,
    aor,
    contact,
    expiresAt,
    callId,
    cseq,
    received: { protocol: protocol as TransportProtocol, address, port },
    socket,
    path: decodeList(path),
    flags: decodeList(flags),
    lastModified,
  };
  if (q !== null) b.q = q;
  if (userAgent !== null) b.userAgent = userAgent;
  if (connectionId !== null) b.connectionId = connectionId;
  if (methods !== null) b.methods = JSON.parse(methods) as string[];
  if (instance !== null) b.instance = instance;
  if (regId !== null) b.regId = regId;
  if (lastKeepalive !== null) b.lastKeepalive = lastKeepalive;
  return b;
}
