// The NOTIFY CSeq of a subscription only grows, across any number of restarts (RFC 3261 12.2.1.1:
// strictly increasing within the dialog); the winfo version follows it (RFC 3858 4.1). A restart
// raises the stored CSeq by the checkpoint and must store the raised value, or the next restart
// starts again from the same number and the watcher sees the CSeq go backwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { PresencePeer } from './presence-peer.js';

const HOST = '127.0.0.1';

test('NOTIFY CSeq keeps growing over two restarts (sqlite)', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'presence-cseq-'));
  let srv = await startServer({ auth: false, probeIntervalSeconds: 0, store: 'sqlite', dataDir });
  const port = srv.port('udp');
  const config = { auth: false, probeIntervalSeconds: 0, store: 'sqlite' as const, dataDir, listen: [`udp:${HOST}:${port}`] };
  const alice = await PresencePeer.open('udp', HOST, port, 'alice');
  try {
    assert.equal((await alice.subscribe(`sip:bob@${HOST}`)).response.status, 200);
    const seen = [(await alice.notify()).cseq().seq];
    for (let restart = 0; restart < 2; restart++) {
      await srv.stop();
      srv = await startServer(config);
      seen.push((await alice.notify()).cseq().seq);
    }
    assert.ok(seen[1] > seen[0] && seen[2] > seen[1], `CSeqs ${seen.join(', ')} must strictly increase`);
  } finally {
    alice.close();
    await srv.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
