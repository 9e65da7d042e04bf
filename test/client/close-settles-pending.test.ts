// close() gives the server --close-timeout to answer, then closes the sockets and drops the
// transactions. A request the application is still awaiting (setPresence, sendMessage) must then
// settle, with a 'closed' error, instead of leaving its promise pending for ever.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SipClientError, type UserAgent } from '../../src/index.js';
import { newUa } from './helpers.js';
import { ScriptedPeer } from './scripted-peer.js';

let peer: ScriptedPeer;
let ua: UserAgent;
before(async () => {
  peer = await ScriptedPeer.start();
  // Everything is answered but PUBLISH and MESSAGE, which the server never answers.
  peer.script = (r) => (r.method === 'PUBLISH' || r.method === 'MESSAGE' ? 'drop' : { status: 200 });
  ua = newUa(peer.uri(), { closeTimeoutMs: 200, timers: { t1: 500, t2: 4000, t4: 5000 } });
  await ua.register();
});
after(() => peer.stop());

test('a PUBLISH and a MESSAGE still unanswered when close() gives up settle with a closed error', async () => {
  const outcomes = [ua.setPresence({ basic: 'open' }), ua.sendMessage('bob', 'are you there?')].map((p) => p.then(
    (value) => ({ settled: 'resolved', value }),
    (err: unknown) => ({ settled: 'rejected', code: err instanceof SipClientError ? err.code : String(err) })));
  await new Promise((resolve) => setTimeout(resolve, 50));
  await ua.close();
  const hung = new Promise((resolve) => setTimeout(() => resolve('still pending'), 1000));
  const [published, sent] = await Promise.all(outcomes.map((o) => Promise.race([o, hung])));
  assert.deepEqual(published, { settled: 'rejected', code: 'closed' });
  // sendMessage reports a failed delivery in its result rather than throwing.
  assert.notEqual(sent, 'still pending');
});
