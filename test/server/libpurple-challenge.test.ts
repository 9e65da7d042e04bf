// libpurple (Pidgin, finch) answers a 401/407 by sending the challenged request again with its
// credentials under the SAME Via branch and CSeq, in RFC 2069 form (no qop, no cnonce, nc quoted).
// Under RFC 3261 17.2.3 that is a retransmission of the challenged request; a server that keeps a
// transaction for its challenge answers it from the cache with the same 407 until Timer J (32 s),
// and only then accepts the same bytes. simplesip sends challenges statelessly (RFC 3261 26.3.2.4),
// so the answer is taken the first time, while a retransmission of an accepted request is still
// absorbed by that request's transaction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { computeHa1, computeResponse } from '../../src/auth/digest-hash.js';
import type { SipMessage } from '../../src/sip/message.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';

const DOMAIN = 'example.com';

/** A request built the way prpl-simple builds it: fixed branch, Call-ID and CSeq across the resend. */
function purpleRequest(c: SipEndpoint, method: string, target: string, cseq: number, extra: string[], body = ''): string {
  const lines = [
    `${method} ${target} SIP/2.0`,
    `Via: SIP/2.0/UDP ${c.sentBy};branch=z9hG4bKA317B105895D6125D95A`,
    `From: <sip:alice@${DOMAIN}>;tag=3EACBF9Ad2DD4BE0;epid=1234567890`,
    `To: <${target}>`,
    `Max-Forwards: 10`,
    `CSeq: ${cseq} ${method}`,
    'User-Agent: Purple/2.14.12',
    `Call-ID: 8BBB3FDBE48D8A4E2E3BB3E8${method}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** libpurple's auth_header(): RFC 2069 response, nc in quotes (it does not change the response). */
function purpleAuth(challenge: SipMessage, method: string, uri: string, password: string, nc: number): string {
  const c = challenge.proxyAuthenticate()[0];
  const nonce = c.params.get('nonce') as string;
  const realm = c.params.get('realm') as string;
  const ha1 = computeHa1('MD5', 'alice', realm, password);
  const response = computeResponse({ algorithm: 'MD5', ha1, nonce, method, uri });
  const count = String(nc).padStart(8, '0');
  return `Proxy-Authorization: Digest username="alice", realm="${realm}", nonce="${nonce}", uri="${uri}", nc="${count}", response="${response}"`;
}

describe('a challenge answered under the same branch (libpurple)', () => {
  let srv: RunningServer;
  let c: SipEndpoint;
  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: [DOMAIN], probeIntervalSeconds: 0 });
    await srv.server.users.add('alice', DOMAIN, 'alice-secret');
    await srv.server.users.add('bob', DOMAIN, 'bob-secret');
    c = await SipEndpoint.open('udp', '127.0.0.1', srv.port('udp'));
  });
  after(async () => {
    c.close();
    await srv.stop();
  });

  test('PUBLISH: 407, then the same branch with RFC 2069 credentials is accepted at once (200)', async () => {
    const uri = `sip:alice@${DOMAIN}`;
    const pidf = `<?xml version="1.0" encoding="UTF-8"?>\n<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${uri}"><tuple id="bs35r9f"><status><basic>open</basic></status><note>available</note></tuple></presence>`;
    const head = ['Expires: 600', 'Event: presence', 'Content-Type: application/pidf+xml'];
    c.send(purpleRequest(c, 'PUBLISH', uri, 3, head, pidf));
    const challenge = await c.finalResponse();
    assert.equal(challenge.status, 407);
    const answered = purpleRequest(c, 'PUBLISH', uri, 3, [...head, purpleAuth(challenge, 'PUBLISH', uri, 'alice-secret', 1)], pidf);
    c.send(answered);
    const ok = await c.finalResponse();
    assert.equal(ok.status, 200, `${ok.status} ${ok.reason}`);
    assert.ok(ok.header('SIP-ETag'));
    // A retransmission of the accepted request is absorbed by its transaction: the same 200 again.
    c.send(answered);
    const again = await c.finalResponse();
    assert.equal(again.toBuffer().toString(), ok.toBuffer().toString());
  });

  test('MESSAGE: 407, then the same branch with credentials is taken (202: stored for bob), stored once', async () => {
    const uri = `sip:bob@${DOMAIN}`;
    const head = ['Content-Type: text/plain'];
    c.send(purpleRequest(c, 'MESSAGE', uri, 5, head, 'hello bob'));
    const challenge = await c.finalResponse();
    assert.equal(challenge.status, 407);
    const answered = purpleRequest(c, 'MESSAGE', uri, 5, [...head, purpleAuth(challenge, 'MESSAGE', uri, 'alice-secret', 2)], 'hello bob');
    c.send(answered);
    assert.equal((await c.finalResponse()).status, 202);
    c.send(answered);
    assert.equal((await c.finalResponse()).status, 202);
    const stored = srv.server.offlineMessages.list(`sip:bob@${DOMAIN}`);
    assert.equal(stored.length, 1);
  });
});
