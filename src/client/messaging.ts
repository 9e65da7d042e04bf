// MESSAGE (RFC 3428): sending one, and taking incoming ones apart: text/plain, text/html,
// message/cpim (RFC 3862) and is-composing (RFC 3994) are accepted; anything else is 415 with Accept
// (RFC 3261 21.4.13, RFC 3428 7).
import { newCallId, newTag } from '../sip/builder.js';
import type { SipMessage } from '../sip/message.js';
import { IS_COMPOSING_CONTENT_TYPE } from '../messaging/is-composing.js';
import type { AuthenticatingSender } from './auth-retry.js';
import { parseCpim } from './cpim.js';
import type { RequestBuilder } from './request-builder.js';
import type { Outcome } from './outcome.js';
import type { IncomingMessage } from './types.js';

export const ACCEPTED_MESSAGE_TYPES = ['text/plain', 'text/html', 'message/cpim', IS_COMPOSING_CONTENT_TYPE];

export type MessageVerdict =
  | { kind: 'message'; message: IncomingMessage }
  | { kind: 'is-composing'; from: string; body: string }
  | { kind: 'unsupported'; contentType: string };

/** Sends the MESSAGE, answering challenges; resolves with what became of it. */
export async function sendMessage(builder: RequestBuilder, sender: AuthenticatingSender, to: string, body: string, contentType: string): Promise<Outcome> {
  let cseq = 1;
  const request = builder.build({
    method: 'MESSAGE', uri: to, to: `<${to}>`, fromTag: newTag(), callId: newCallId(), cseq,
    // RFC 3428 4: MESSAGE creates no dialog, so it needs no Contact.
    contact: false, body, contentType,
  });
  return sender.send(request, () => ++cseq);
}

function nameAddrUri(text: string): string {
  const lt = text.indexOf('<');
  return lt < 0 ? text.trim() : text.slice(lt + 1, text.indexOf('>', lt));
}

/** What an incoming MESSAGE is; the caller answers 200 or 415. */
export function classifyMessage(request: SipMessage): MessageVerdict {
  const type = request.contentType();
  const mime = type === undefined ? 'text/plain' : `${type.type}/${type.subtype}`.toLowerCase();
  const from = request.header('from') === undefined ? '' : nameAddrUri(request.header('from') as string);
  const to = request.header('to') === undefined ? '' : nameAddrUri(request.header('to') as string);
  const body = request.body.toString('utf8');
  switch (mime) {
    case 'text/plain':
    case 'text/html':
      return { kind: 'message', message: { from, to, contentType: mime, body } };
    case IS_COMPOSING_CONTENT_TYPE:
      return { kind: 'is-composing', from, body };
    case 'message/cpim': {
      const cpim = parseCpim(body);
      const inner = cpim?.contentType.split(';')[0].trim().toLowerCase();
      if (cpim === undefined || inner === undefined || !['text/plain', 'text/html'].includes(inner)) return { kind: 'unsupported', contentType: mime };
      return { kind: 'message', message: { from, to, contentType: inner, body: cpim.body, dateTime: cpim.dateTime } };
    }
    default:
      return { kind: 'unsupported', contentType: mime };
  }
}
