// MESSAGE helpers for end-to-end tests with SipTestClient: send one (answering a 407 with digest),
// and answer the MESSAGEs a client receives.
import { answerChallenge, pickChallenge } from '../../src/auth/digest-client.js';
import { createResponse } from '../../src/sip/builder.js';
import type { SipMessage } from '../../src/sip/message.js';
import type { SipTestClient } from './sip-test-client.js';

export interface MessageSpec {
  from: string;
  to: string;
  body: string;
  contentType?: string;
  domain?: string;
  password?: string;
  extra?: string[];
}

let seq = 0;

export function messageText(c: SipTestClient, s: MessageSpec, cseq: number, extra: string[] = []): string {
  const domain = s.domain ?? 'example.com';
  const body = Buffer.from(s.body, 'utf8');
  const lines = [
    `MESSAGE sip:${s.to}@${domain} SIP/2.0`,
    `Via: SIP/2.0/${c.protocol.toUpperCase()} ${c.hostPort};branch=z9hG4bKm${Date.now().toString(36)}${seq++};rport`,
    'Max-Forwards: 70',
    `From: <sip:${s.from}@${domain}>;tag=f${seq}`,
    `To: <sip:${s.to}@${domain}>`,
    `Call-ID: msg-${seq}-${c.callId}`,
    `CSeq: ${cseq} MESSAGE`,
    `Content-Type: ${s.contentType ?? 'text/plain;charset=utf-8'}`,
    ...(s.extra ?? []),
    ...extra,
    `Content-Length: ${body.length}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${s.body}`;
}

/** Sends a MESSAGE and returns its final response; a 407 is answered once when a password is given. */
export async function sendMessage(c: SipTestClient, s: MessageSpec, timeoutMs = 5000): Promise<SipMessage> {
  c.send(messageText(c, s, c.nextCSeq()));
  const first = await c.finalResponse(timeoutMs);
  if (first.status !== 407 || s.password === undefined) return first;
  const challenge = pickChallenge(first.proxyAuthenticate());
  if (!challenge) throw new Error('407 without a usable challenge');
  const auth = answerChallenge(challenge, { username: s.from, password: s.password }, 'MESSAGE', `sip:${s.to}@${s.domain ?? 'example.com'}`, 1);
  c.send(messageText(c, s, c.nextCSeq(), [`Proxy-Authorization: ${auth}`]));
  return c.finalResponse(timeoutMs);
}

/** Waits for the next MESSAGE and answers it with `status`. */
export async function receiveMessage(c: SipTestClient, status = 200, timeoutMs = 5000): Promise<SipMessage> {
  for (;;) {
    const req = await c.next('request', timeoutMs);
    if (req.method !== 'MESSAGE') continue;
    c.send(createResponse(req, status).toBuffer());
    return req;
  }
}
