// close() while a PUBLISH waits for its answer: the answer is waited for, and the entity-tag it
// brings is the one the removal names (Expires: 0 with SIP-If-Match, RFC 3903 4.5); a failure
// published nothing, so nothing follows it. close() used to send nothing during the first PUBLISH
// (the server kept our state until it expired), and during a modify removed the old entity-tag
// while the server moved on to the new one.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserAgent } from '../../src/index.js';
import { createResponse } from '../../src/sip/builder.js';
import type { SipMessage } from '../../src/sip/message.js';
import type { ServerTransaction } from '../../src/transaction/server-transaction.js';
import { newUa } from './helpers.js';
import { ScriptedPeer, until } from './scripted-peer.js';

let peer: ScriptedPeer;
let ua: UserAgent;
/** The request held back, and its transaction for the test to answer. */
let held: { tx: ServerTransaction; request: SipMessage } | undefined;
const heldBack = (): { tx: ServerTransaction; request: SipMessage } => held as NonNullable<typeof held>;
/** Whether the next PUBLISH is held here for the test to answer. */
let hold = true;
beforeEach(async () => {
  peer = await ScriptedPeer.start();
  held = undefined;
  hold = true;
  peer.script = (r) => (r.method === 'PUBLISH' && hold ? 'drop' : { status: 200, headers: [['SIP-ETag', 'e1'], ['Expires', '600']] });
  peer.layer.on('request', (tx, r) => {
    if (r.method === 'PUBLISH' && hold) {
      held = { tx, request: r };
      hold = false;
    }
  });
  ua = newUa(peer.uri(), { closeTimeoutMs: 2000 });
});
afterEach(async () => {
  await ua.close();
  await peer.stop();
});

test('a 200 to the first PUBLISH that comes after close() began: its entity-tag is removed', async () => {
  void ua.setPresence({ basic: 'open' });
  await until(() => held !== undefined, 2000, 'the PUBLISH');
  const closed = ua.close();
  heldBack().tx.respond(createResponse(heldBack().request, 200, undefined, { headers: [['SIP-ETag', 'first'], ['Expires', '600']] }));
  await closed;
  const [, removal] = peer.of('PUBLISH');
  assert.ok(removal, 'a second PUBLISH was sent');
  assert.equal(removal.expires(), 0);
  assert.equal(removal.header('sip-if-match'), 'first');
  assert.equal(removal.body.length, 0);
});

test('a failure of the first PUBLISH that comes after close() began: nothing follows it', async () => {
  void ua.setPresence({ basic: 'open' }).catch(() => undefined);
  await until(() => held !== undefined, 2000, 'the PUBLISH');
  const closed = ua.close();
  heldBack().tx.respond(createResponse(heldBack().request, 403));
  await closed;
  assert.equal(peer.of('PUBLISH').length, 1);
});

test('a modify answered after close() began: the removal names the entity-tag the modify got', async () => {
  hold = false;
  await ua.setPresence({ basic: 'open' });
  hold = true;
  void ua.setPresence({ basic: 'closed' });
  await until(() => held !== undefined, 2000, 'the modify');
  const closed = ua.close();
  heldBack().tx.respond(createResponse(heldBack().request, 200, undefined, { headers: [['SIP-ETag', 'e2'], ['Expires', '600']] }));
  await closed;
  const removal = peer.of('PUBLISH').at(-1);
  assert.equal(removal?.expires(), 0);
  assert.equal(removal?.header('sip-if-match'), 'e2');
});
