// Date (RFC 3261 20.17): rfc1123-date, always GMT.

import { badRequest } from '../errors.js';

const MONTHS = new Map([
  ['Jan', 0], ['Feb', 1], ['Mar', 2], ['Apr', 3], ['May', 4], ['Jun', 5],
  ['Jul', 6], ['Aug', 7], ['Sep', 8], ['Oct', 9], ['Nov', 10], ['Dec', 11],
]);
const DAYS = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

function fail(detail: string): never {
  throw badRequest(`malformed Date header (${detail})`);
}

function num(s: string, len: number, max: number): number {
  if (s.length !== len) fail('bad number');
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) fail('bad number');
    n = n * 10 + c - 48;
  }
  if (n > max) fail('value out of range');
  return n;
}

/** `wkday "," SP date1 SP time SP "GMT"`, e.g. `Sat, 13 Nov 2010 23:29:00 GMT`. */
export function parseDate(text: string): Date {
  const parts = text.trim().split(' ').filter((p) => p.length > 0);
  if (parts.length !== 6) fail('expected "wkday, DD Mon YYYY HH:MM:SS GMT"');
  const [wkday, day, mon, year, time, zone] = parts;
  if (!wkday.endsWith(',') || !DAYS.has(wkday.slice(0, -1))) fail('bad weekday');
  const month = MONTHS.get(mon);
  if (month === undefined) fail('bad month');
  // RFC 3261 20.17: only GMT is allowed (RFC 4475 3.1.2.12 sends EST).
  if (zone !== 'GMT') fail('time zone must be GMT');
  const hms = time.split(':');
  if (hms.length !== 3) fail('bad time');
  const ms = Date.UTC(num(year, 4, 9999), month, num(day, 2, 31), num(hms[0], 2, 23), num(hms[1], 2, 59), num(hms[2], 2, 60));
  return new Date(ms);
}
