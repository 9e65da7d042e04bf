// A PUBLISH body must be well-formed XML (RFC 3863 4, XML 1.0 2.1): a bare "&", an unquoted
// attribute value or a character XML forbids (2.2) is 400, where xmldom let them through (200); a UTF-8 byte order mark before the
// declaration is legal (XML 1.0 4.3.3) and is 200, where it was 400. The 400 says the problem once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { PresencePeer } from './presence-peer.js';

const BOB = 'sip:bob@127.0.0.1';
const HEAD = `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="${BOB}">`;
let srv: RunningServer;
let bob: PresencePeer;
before(async () => {
  srv = await startServer({ auth: false, probeIntervalSeconds: 0 });
  bob = await PresencePeer.open('udp', '127.0.0.1', srv.port('udp'), 'bob');
});
after(async () => {
  bob.close();
  await srv.stop();
});

test('bodies that are not well-formed XML are 400 with one short reason', async () => {
  for (const body of [
    `${HEAD}<tuple id="t1"><status><basic>open</basic></status><note>Tom & Jerry</note></tuple></presence>`,
    `${HEAD}<tuple id=t1><status><basic>open</basic></status></tuple></presence>`,
    `${HEAD}<tuple id="t1">`,
    // XML 1.0 2.2: control characters are no XML characters, written out or as references; a
    // stricter peer (libxml2, expat) would refuse the document we relay to watchers.
    `${HEAD}<tuple id="t1"><status><basic>open</basic></status><note>bell\u0007</note></tuple></presence>`,
    `${HEAD}<tuple id="t1"><status><basic>open</basic></status><note>esc&#x1b;</note></tuple></presence>`,
    `${HEAD}<tuple id="t1"><status><basic>open</basic></status><note>\uFFFE</note></tuple></presence>`,
  ]) {
    const r = await bob.publish({ body });
    assert.equal(r.status, 400, body);
    assert.match(r.reason ?? '', /^Bad Request \(malformed XML: .{1,140}\)$/);
    assert.equal((r.reason ?? '').split('malformed XML').length, 2, `said once: ${r.reason ?? ''}`);
    assert.doesNotMatch(r.reason ?? '', /Reporting|caused/);
  }
});

test('a UTF-8 byte order mark before the XML declaration is taken (200)', async () => {
  const body = `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n${HEAD}<tuple id="t1"><status><basic>open</basic></status><note>a &amp; b</note></tuple></presence>`;
  const r = await bob.publish({ body });
  assert.equal(r.status, 200, r.reason);
});

test('a tuple without id or without status is 400 naming what is missing, and nothing is stored', async () => {
  // RFC 3863 4.1.2: every tuple has an id (4.1.3) and a status (4.1.4); watchers got them as published.
  const cases: Array<[string, RegExp]> = [
    [`${HEAD}<tuple><status><basic>open</basic></status></tuple></presence>`, /^Bad Request \(a <tuple> has no id attribute \(RFC 3863 4\.1\.2, 4\.1\.3\)\)$/],
    [`${HEAD}<tuple id=""><status><basic>open</basic></status></tuple></presence>`, /no id attribute/],
    [`${HEAD}<tuple id="t1"><note>no status</note></tuple></presence>`, /^Bad Request \(tuple t1 has no <status> element \(RFC 3863 4\.1\.2, 4\.1\.4\)\)$/],
  ];
  const stored = (): number => srv.server.controlContext().presence?.show(BOB).publications.length ?? 0;
  const before = stored();
  for (const [body, reason] of cases) {
    const r = await bob.publish({ body });
    assert.equal(r.status, 400, body);
    assert.match(r.reason ?? '', reason);
  }
  assert.equal(stored(), before);
});
