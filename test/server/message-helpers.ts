// MESSAGE helpers for end-to-end tests with SipEndpoint: send one (answering a 407 with digest),
// and answer the MESSAGEs an endpoint receives.
import type { SipMessage } from '../../src/sip/message.js';
import { newCallId, newTag, type SipEndpoint } from '../helpers/sip-endpoint.js';

export interface MessageSpec {
  from: string;
  to: string;
  body: string;
  contentType?: string;
  domain?: string;
  password?: string;
  extra?: string[];
}

/** Sends a MESSAGE and returns its final response; a 407 is answered once when a password is given. */
export async function sendMessage(c: SipEndpoint, s: MessageSpec, timeoutMs = 5000): Promise<SipMessage> {
  const domain = s.domain ?? 'example.com';
  const { response } = await c.request({
    method: 'MESSAGE', uri: `sip:${s.to}@${domain}`, from: `sip:${s.from}@${domain}`, to: `sip:${s.to}@${domain}`,
    fromTag: newTag(), callId: newCallId(), cseq: c.nextCSeq(), body: s.body, contentType: s.contentType ?? 'text/plain;charset=utf-8',
    headers: s.extra,
  }, s.password, timeoutMs);
  return response;
}

/** Waits for the next MESSAGE and answers it with `status`. */
export async function receiveMessage(c: SipEndpoint, status = 200, timeoutMs = 5000): Promise<SipMessage> {
  for (;;) {
    const req = await c.next('request', timeoutMs);
    if (req.method !== 'MESSAGE') continue;
    c.respond(req, status);
    return req;
  }
}
