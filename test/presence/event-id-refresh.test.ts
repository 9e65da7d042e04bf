// A subscription is identified by its dialog and its Event header, id parameter included (RFC 6665
// 4.1.2, 8.2.1): a refresh whose Event id differs (or is missing) belongs to no subscription of
// ours and gets 481; it used to be taken as a refresh of the one with another id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { PresencePeer } from './presence-peer.js';

test('a refresh with another Event id is 481; with the same id 200', async () => {
  const srv = await startServer({ auth: false, probeIntervalSeconds: 0 });
  const alice = await PresencePeer.open('udp', '127.0.0.1', srv.port('udp'), 'alice');
  try {
    const { response, dialog } = await alice.subscribe('sip:bob@127.0.0.1', { event: 'presence;id=42' });
    assert.equal(response.status, 200);
    assert.equal((await alice.notify()).header('event'), 'presence;id=42');
    const other = await alice.resubscribe({ ...dialog, event: 'presence;id=43' }, 600);
    assert.equal(other.status, 481);
    assert.match(other.reason ?? '', /Event id/);
    dialog.cseq++;
    assert.equal((await alice.resubscribe({ ...dialog, event: 'presence' }, 600)).status, 481, 'no id is not id=42 either');
    dialog.cseq++;
    assert.equal((await alice.resubscribe(dialog, 600)).status, 200);
  } finally {
    alice.close();
    await srv.stop();
  }
});
