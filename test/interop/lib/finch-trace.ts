// The server's --trace as a test sees it, and the check that libpurple's answers to challenges are
// taken the first time (libpurple resends a challenged request with its credentials under the same
// branch and CSeq; a 407 from a transaction's cache to such a resend is the bug fixed in
// src/server/sip-server.ts, RFC 3261 26.3.2.4).
import { Writable } from 'node:stream';

export interface Trace {
  stream: Writable;
  /** One entry per message: the `----- ... IN|OUT ...` line and the message. */
  entries(): string[];
}

export function collectTrace(): Trace {
  let text = '';
  return {
    stream: new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb(); } }),
    entries: () => text.split(/^(?=----- )/m).filter((e) => e.startsWith('----- ')),
  };
}

const header = (entry: string, name: string): string | undefined =>
  new RegExp(`^${name}:[ \\t]*(.*?)\\r?$`, 'mi').exec(entry)?.[1];

/**
 * Requests from USER (From: sip:USER@...) that carried Proxy-Authorization or Authorization and were
 * still answered 401/407: "branch CSeq" of each. Pairs each response with the latest request of the
 * same top-Via branch and CSeq, as libpurple reuses both for its answer to a challenge.
 */
export function challengedAnswers(entries: string[], user: string): string[] {
  const fromUser = (e: string): boolean => new RegExp(`^From:[^\\r\\n]*sip:${user}@`, 'mi').test(e);
  const key = (e: string): string => `${/branch=([^;\s,]+)/.exec(header(e, 'Via') ?? '')?.[1]} ${header(e, 'CSeq')}`;
  const hadCredentials = new Map<string, boolean>();
  const bad: string[] = [];
  for (const e of entries) {
    const first = e.split(/\r?\n/)[1] ?? '';
    if (!fromUser(e)) continue;
    if (/^----- \S+ IN /.test(e) && !first.startsWith('SIP/2.0')) {
      hadCredentials.set(key(e), /^(Proxy-)?Authorization:/mi.test(e));
    } else if (/^----- \S+ OUT /.test(e) && /^SIP\/2\.0 40[17] /.test(first) && hadCredentials.get(key(e)) === true) {
      bad.push(key(e));
    }
  }
  return bad;
}
