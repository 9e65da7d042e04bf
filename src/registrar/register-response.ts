// What a registrar answers (RFC 3261 10.3 step 8): every current binding of the AOR with the
// seconds it has left, highest q first, and a Date so that a UA with a bad clock can fix it; errors
// say why in the reason phrase and in P-Registrar-Error (the header Kamailio uses for the same purpose).
import type { BindingRecord } from '../store/types.js';

export interface RegisterAnswer {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
}

/** RFC 3261 10.3 step 8: `Contact: <uri>;expires=N` per binding, with q, +sip.instance and reg-id echoed. */
export function contactValue(b: BindingRecord, now: number): string {
  const left = Math.max(0, Math.ceil((b.expiresAt - now) / 1000));
  let value = `<${b.contact}>;expires=${left}`;
  if (b.q !== undefined) value += `;q=${b.q}`;
  // RFC 5626 6: the registrar echoes the instance and reg-id of each contact it kept.
  if (b.instance !== undefined) value += `;+sip.instance="${b.instance}"`;
  if (b.regId !== undefined) value += `;reg-id=${b.regId}`;
  return value;
}

export interface OkOptions {
  /** Path of the request: RFC 3327 5.3 has the registrar return it in the 200. */
  path: string[];
  /** RFC 5626 6: a registration that used outbound gets `Require: outbound` in its 200. */
  outbound: boolean;
}

/** RFC 3261 20.17: Date has a one-second resolution; it is formatted once per second, not per answer. */
let dateCache = { second: Number.NaN, text: '' };

function dateText(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== dateCache.second) dateCache = { second, text: new Date(second * 1000).toUTCString() };
  return dateCache.text;
}

export function registered(bindings: readonly BindingRecord[], now: number, options: OkOptions): RegisterAnswer {
  const headers: Array<[string, string]> = bindings.map((b) => ['Contact', contactValue(b, now)]);
  headers.push(['Date', dateText(now)]);
  for (const p of options.path) headers.push(['Path', p]);
  if (options.outbound) headers.push(['Require', 'outbound']);
  return { status: 200, reason: 'OK', headers };
}

/** A refusal whose reason phrase and P-Registrar-Error header name the problem. */
export function refused(status: number, phrase: string, detail: string, extra: Array<[string, string]> = []): RegisterAnswer {
  return { status, reason: `${phrase} (${detail})`, headers: [...extra, ['P-Registrar-Error', detail]] };
}
