// Every RFC 4475 / RFC 5118 torture message, sent over UDP to a running server: the outcome the
// fixture MANIFEST gives (test/fixtures/torture/MANIFEST.md), as this server implements it today.
// The server serves example.com and example.org; other domains are foreign: relayed only for our
// authenticated users (407 when the From is ours, else 403). Requests for users we do not know get
// 404 (the proxy looks them up), and a request we would forward with Max-Forwards 0 gets 483 (zeromf).
// It runs as deployed: authentication on, so REGISTERs get 401 and our users' MESSAGE/INVITE 407
// (regaut01's unknown scheme is no credential: a challenge). The REGISTER fixtures run again with
// --auth off below, where the registrar must accept them and store what the MANIFEST says.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BindingRecord } from '../../src/store/types.js';
import { RawUdpPeer } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'torture');

/**
 * number: exactly this status; 'none': no answer at all (responses, dropped with a log line);
 * 'accepted': any answer but 400, 505 or 513 (the RFC allows more than one).
 * `reason`: the reason phrase must match (a 400 names its defect).
 */
interface Expectation { status: number | 'none' | 'accepted'; reason?: RegExp; headers?: RegExp[] }

const NAMES_DEFECT = /^Bad Request \(.+\)$/;
const bad = (reason: RegExp = NAMES_DEFECT): Expectation => ({ status: 400, reason });

const EXPECTED: Record<string, Expectation> = {
  'rfc4475/wsinv.dat': { status: 407 },
  // An unknown method for a user is proxied like any non-INVITE (RFC 3261 16.2): this user does not exist.
  'rfc4475/intmeth.dat': { status: 404 },
  'rfc4475/esc01.dat': { status: 403 },
  'rfc4475/escnull.dat': { status: 401 },
  // RE%47IST%45R is no REGISTER: a request from our user to a domain we do not serve, to relay (407, not 401).
  'rfc4475/esc02.dat': { status: 407, reason: /Proxy Authentication Required/ },
  'rfc4475/lwsdisp.dat': { status: 404 },
  'rfc4475/longreq.dat': { status: 404 },
  'rfc4475/dblreq.dat': { status: 401 },
  'rfc4475/semiuri.dat': { status: 404 },
  'rfc4475/transports.dat': { status: 404 },
  'rfc4475/mpart01.dat': { status: 407 },
  'rfc4475/unreason.dat': { status: 'none' },
  'rfc4475/noreason.dat': { status: 'none' },
  'rfc4475/badinv01.dat': bad(),
  'rfc4475/clerr.dat': bad(/Content-Length/),
  'rfc4475/ncl.dat': bad(/Content-Length/),
  'rfc4475/scalar02.dat': bad(),
  'rfc4475/scalarlg.dat': { status: 'none' },
  'rfc4475/quotbal.dat': bad(),
  'rfc4475/ltgtruri.dat': bad(/Request-?URI|Request-?Line/i),
  'rfc4475/lwsruri.dat': bad(/Request-?URI|Request-?Line/i),
  'rfc4475/lwsstart.dat': bad(/Request-?URI|Request-?Line/i),
  'rfc4475/trws.dat': { status: 'accepted' },
  'rfc4475/escruri.dat': bad(/Request-URI/i),
  'rfc4475/baddate.dat': { status: 404 },
  'rfc4475/regbadct.dat': bad(/Contact/),
  'rfc4475/badaspec.dat': bad(),
  'rfc4475/baddn.dat': bad(),
  'rfc4475/badvers.dat': { status: 505 },
  'rfc4475/mismatch01.dat': bad(/CSeq/),
  // Unknown method, so proxied; its CSeq names another method (RFC 3261 8.1.1.5): 400 (RFC 4475 3.1.2.18 allows it).
  'rfc4475/mismatch02.dat': bad(/CSeq method/),
  'rfc4475/bigcode.dat': { status: 'none' },
  'rfc4475/badbranch.dat': { status: 404 },
  'rfc4475/insuf.dat': bad(/missing/),
  'rfc4475/unkscm.dat': { status: 416 },
  'rfc4475/novelsc.dat': { status: 416 },
  'rfc4475/unksm2.dat': bad(/To/),
  // An OPTIONS for a user is proxied to the user's devices: as a proxy we judge Proxy-Require (16.3
  // step 5) and leave Require to the callee.
  'rfc4475/bext01.dat': { status: 420, headers: [/\r\nUnsupported: noProxiesSupportThis, norDoAnyProxiesSupportThis\r\n/] },
  'rfc4475/invut.dat': { status: 404 },
  'rfc4475/regaut01.dat': { status: 401 },
  'rfc4475/multi01.dat': bad(),
  'rfc4475/mcl01.dat': bad(/Content-Length/),
  'rfc4475/bcast.dat': { status: 'none' },
  'rfc4475/zeromf.dat': { status: 483 },
  'rfc4475/cparam01.dat': { status: 401 },
  'rfc4475/cparam02.dat': { status: 401 },
  'rfc4475/regescrt.dat': { status: 401 },
  'rfc4475/sdp01.dat': { status: 404 },
  'rfc4475/inv2543.dat': { status: 404 },
  'rfc5118/ipv6-good': { status: 407 },
  'rfc5118/ipv6-bad': bad(),
  'rfc5118/port-ambiguous': { status: 407 },
  'rfc5118/port-unambiguous': { status: 407 },
  'rfc5118/via-received-param-with-delim': { status: 407 },
  'rfc5118/via-received-param-no-delim': { status: 407 },
  'rfc5118/ipv6-in-sdp': { status: 407 },
  'rfc5118/mult-ip-in-header': { status: 407 },
  'rfc5118/mult-ip-in-sdp': { status: 407 },
  'rfc5118/ipv4-mapped-ipv6': { status: 404 },
  'rfc5118/ipv6-bug-abnf-3-colons': { status: 407 },
  'rfc5118/ipv6-correct-abnf-2-colons': { status: 407 },
};

describe('torture messages over UDP', () => {

  test('covers all 61 messages', () => {
    assert.equal(Object.keys(EXPECTED).length, 61);
  });

  for (const [file, expected] of Object.entries(EXPECTED)) {
    // A fresh server and socket per message: many fixtures share a branch and sent-by, so to one
    // server they would be retransmissions of each other (RFC 3261 17.2.3), and an INVITE's
    // response retransmissions must not reach the next test.
    test(file, async (t) => {
      const srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com', 'example.org'] });
      const peer = await RawUdpPeer.open();
      t.after(async () => {
        peer.close();
        await srv.stop();
      });
      const data = readFileSync(join(fixtures, file));
      peer.send(data, srv.port('udp'));
      // Responses and dropped messages get no answer: wait long enough to see a wrong one.
      const reply = await peer.receive(expected.status === 'none' ? 300 : 2000);
      if (expected.status === 'none') {
        assert.equal(reply, undefined, `expected no answer, got ${reply?.toString().split('\r\n')[0]}`);
        return;
      }
      assert.ok(reply, 'no answer');
      const text = reply.toString('latin1');
      const statusLine = text.slice(0, text.indexOf('\r\n'));
      const m = /^SIP\/2\.0 (\d{3}) (.*)$/.exec(statusLine);
      assert.ok(m, `bad status line: ${statusLine}`);
      const status = Number(m[1]);
      if (expected.status === 'accepted') {
        assert.ok(![400, 505, 513].includes(status), `rejected: ${statusLine}`);
      } else {
        assert.equal(status, expected.status, statusLine);
      }
      if (expected.reason) assert.match(m[2], expected.reason);
      for (const h of expected.headers ?? []) assert.match(text, h);
      // Exactly one answer (dblreq: the trailing request is ignored), no retransmission over UDP for non-INVITE.
      const extra = await peer.receive(150);
      if (extra) assert.fail(`unexpected second answer: ${extra.toString().split('\r\n')[0]}`);
    });
  }
});

/** With --auth off the registrar processes the REGISTER fixtures: 200, and the bindings the MANIFEST names. */
const REGISTERED: Record<string, { aor: string; contacts: string[] }> = {
  // RFC 4475 3.1.1.4: %00 in a user part is data; both contacts are bound.
  'rfc4475/escnull.dat': {
    aor: 'sip:null-%00-null@example.com',
    contacts: ['sip:%00@host5.example.com', 'sip:%00%00@host5.example.com'],
  },
  // 3.1.1.8: the REGISTER is processed, the INVITE after it ignored.
  'rfc4475/dblreq.dat': { aor: 'sip:j.user@example.com', contacts: ['sip:j.user@host.example.com'] },
  // 3.3.7: an Authorization of an unknown scheme is not an error.
  'rfc4475/regaut01.dat': { aor: 'sip:j.user@example.com', contacts: [] },
  // 3.3.12: without <>, ;unknownparam is a contact parameter, not part of the URI.
  'rfc4475/cparam01.dat': { aor: 'sip:watson@example.com', contacts: ['sip:+19725552222@gw1.example.net'] },
  // 3.3.13: inside <>, the URI parameter is kept in the binding.
  'rfc4475/cparam02.dat': { aor: 'sip:watson@example.com', contacts: ['sip:+19725552222@gw1.example.net;unknownparam'] },
  // 3.3.14: the escaped header stays in the stored contact.
  'rfc4475/regescrt.dat': { aor: 'sip:user@example.com', contacts: ['sip:user@example.com?Route=%3Csip:sip.example.com%3E'] },
};

describe('REGISTER torture messages with --auth off', () => {
  for (const [file, expected] of Object.entries(REGISTERED)) {
    test(file, async (t) => {
      const srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com', 'example.org'], auth: false });
      const peer = await RawUdpPeer.open();
      t.after(async () => {
        peer.close();
        await srv.stop();
      });
      peer.send(readFileSync(join(fixtures, file)), srv.port('udp'));
      const reply = await peer.receive(2000);
      assert.ok(reply, 'no answer');
      assert.match(reply.toString('latin1'), /^SIP\/2\.0 200 OK\r\n/);
      const bound = srv.server.location.lookup(expected.aor).map((b: BindingRecord) => b.contact).sort();
      assert.deepEqual(bound, [...expected.contacts].sort());
    });
  }
});
