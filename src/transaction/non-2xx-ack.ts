/**
 * The ACK an INVITE client transaction sends for a 3xx-6xx final response (RFC 3261 17.1.1.3).
 * It belongs to the INVITE transaction: same branch, same destination, built from the INVITE's
 * header values as written, so that the server transaction matches it.
 */
import { SipMessage } from '../sip/message.js';

export function buildNon2xxAck(invite: SipMessage, response: SipMessage): SipMessage {
  const value = (message: SipMessage, name: string): string => {
    const v = message.header(name);
    if (v === undefined) throw new Error(`cannot build the ACK: no ${name} header`);
    return v;
  };
  // Request-URI, Call-ID, From, CSeq number and only the top Via come from the INVITE, To from the
  // response (its tag); the INVITE's Route headers are repeated (RFC 3261 17.1.1.3).
  const headers: Array<[string, string]> = [['Via', invite.headerValues('via')[0]]];
  for (const route of invite.headerValues('route')) headers.push(['Route', route]);
  headers.push(
    ['From', value(invite, 'from')],
    ['To', value(response, 'to')],
    ['Call-ID', value(invite, 'call-id')],
    ['CSeq', `${invite.cseq().seq} ACK`],
    // RFC 3261 8.1.1.6: every request carries Max-Forwards.
    ['Max-Forwards', '70'],
  );
  return SipMessage.request({ method: 'ACK', requestUri: invite.requestUri, headers });
}
