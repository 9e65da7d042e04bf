// A presence note becomes XML text in the PIDF document (RFC 3863); characters XML 1.0 does not
// allow (2.2 Char) cannot be written even escaped, so such a note is invalid-option and nothing is
// published, instead of a document that is not well-formed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipClientError } from '../../src/index.js';
import { parsePidf } from '../../src/presence/pidf.js';
import { scriptedPeerFixture } from './helpers.js';

const fixture = scriptedPeerFixture({
  script: (r) => (r.method === 'PUBLISH' ? { status: 200, headers: [['SIP-ETag', 'e1'], ['Expires', '600']] } : { status: 200 }),
});

test('a note with a character XML 1.0 forbids is invalid-option naming it; nothing is published', async () => {
  const { peer, ua } = fixture;
  const cases: Array<[string, string]> = [
    ['ctl\u0001\u001b[31mred', 'U+0001'], ['nul\u0000here', 'U+0000'], ['form\u000cfeed', 'U+000C'],
    ['bad \ufffe char', 'U+FFFE'], ['\uffff', 'U+FFFF'], ['lone \ud800 surrogate', 'U+D800'], ['lone \udc00', 'U+DC00'],
  ];
  for (const [note, code] of cases) {
    await assert.rejects(ua.setPresence({ basic: 'open', note }),
      (err: unknown) => err instanceof SipClientError && err.code === 'invalid-option' && err.message.includes(`${code}, a character XML 1.0 does not allow`), JSON.stringify(note));
  }
  assert.equal(peer.requests.length, 0, 'nothing was sent');
});

test('tab, line breaks, markup characters and characters beyond the BMP are published as given', async () => {
  const { peer, ua } = fixture;
  const note = 'tab\tline\r\nnext <b>&amp; "q" émoji 😀';
  await ua.setPresence({ basic: 'open', note });
  const published = parsePidf(peer.of('PUBLISH').at(-1)?.body.toString('utf8') as string);
  assert.equal(published.notes[0]?.replace(/\r\n?/g, '\n'), note.replace(/\r\n?/g, '\n'), 'XML reads a CR LF as LF');
});
