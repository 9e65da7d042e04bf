// Rewriting the top Via: received and rport on receipt (RFC 3261 18.2.1, RFC 3581 4).

import { findListEnd } from './scan.js';
import { formatVia, parseVia, type Via } from './headers/via.js';
import type { SipMessage } from './message.js';

/** Values to set on the top Via; null sets a parameter without value, undefined removes it. */
export interface ViaParams {
  received?: string | null;
  rport?: number | null;
  [name: string]: string | number | null | undefined;
}

/**
 * Sets parameters on the topmost via-parm, leaving the others (also those sharing its header line)
 * untouched. Throws SipParseError when the top Via is malformed; does nothing when there is none.
 */
export function setViaParams(message: SipMessage, params: ViaParams): void {
  const first = message.headerFields().findIndex((f) => f.name === 'via');
  if (first === -1) return;
  const value = message.headerFields()[first].value;
  const end = findListEnd(value, 0);
  const via: Via = parseVia(value.slice(0, end));
  for (const [name, v] of Object.entries(params)) applyParam(via, name.toLowerCase(), v);
  message.replaceHeader('via', 0, formatVia(via) + value.slice(end));
}

function applyParam(via: Via, name: string, v: string | number | null | undefined): void {
  switch (name) {
    case 'received':
      if (v === undefined || v === null) delete via.received;
      else via.received = String(v);
      return;
    case 'rport':
      via.rport = v === undefined ? undefined : v === null ? null : Number(v);
      return;
    case 'branch':
      if (v === undefined || v === null) delete via.branch;
      else via.branch = String(v);
      return;
    default:
      if (v === undefined) via.params.delete(name);
      else via.params.set(name, v === null ? null : String(v));
  }
}
