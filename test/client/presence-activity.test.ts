// setPresence({ activity }) names an RPID activity (RFC 4480 3.2), which becomes an element name in
// the PIDF document: anything else is an invalid-option error before anything is sent, as the
// README says of bad options. It used to go into `<rpid:${activity}/>` as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SipClientError } from '../../src/index.js';
import { scriptedPeerFixture } from './helpers.js';

const fixture = scriptedPeerFixture({
  script: (r) => (r.method === 'PUBLISH' ? { status: 200, headers: [['SIP-ETag', 'e1'], ['Expires', '600']] } : { status: 200 }),
});

test('an activity that is not an RPID activity is invalid-option and sends nothing; a real one is published', async () => {
  const { peer, ua } = fixture;
  for (const activity of ['away"/><rpid:busy', 'lunch', '']) {
    await assert.rejects(ua.setPresence({ basic: 'open', activity }),
      (err: unknown) => err instanceof SipClientError && err.code === 'invalid-option' && /RFC 4480/.test(err.message));
  }
  assert.equal(peer.requests.length, 0, 'nothing was sent');
  await ua.setPresence({ basic: 'open', activity: 'on-the-phone' });
  const pub = peer.of('PUBLISH')[0];
  assert.match(pub.body.toString(), /<rpid:activities><rpid:on-the-phone\/><\/rpid:activities>/);
});
