// The peer matrix (npm run interop) as part of the suite: every row runs against real peers over
// UDP, TCP and TLS on IPv4 and IPv6, and no cell may be `fail:`; `n/s` cells carry how we know the
// peer lacks the feature (test/interop/matrix/*). finch over TCP used to be excused here (libpurple
// handles one SIP message per read(), so a NOTIFY right behind another message waited in its buffer);
// the transport's paced writes to such a peer (src/transport/one-message-per-read.ts) mend that, so
// no cell is excused now.
// Takes about a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS } from './matrix/cells.js';
import { FAMILIES, runMatrix, TRANSPORTS } from './matrix/run-matrix.js';

const ROWS = ['simplesip client', 'finch (libpurple SIMPLE)', 'SIPp', 'sipsak', 'baresip', 'simplesip client vs Kamailio'];

test('peer matrix: no cell fails', { timeout: 15 * 60_000 }, async () => {
  const lines = await runMatrix([], (line) => process.stderr.write(`${line.text}\n`));
  // Every row, transport and family has its line: a row that vanished must not look green.
  assert.deepEqual(lines.map((l) => `${l.row} ${l.transport} ${l.family}`),
    ROWS.flatMap((r) => TRANSPORTS.flatMap((t) => FAMILIES.map((f) => `${r} ${t} ${f}`))));
  const failed = lines.flatMap((l) => COLUMNS.filter((c) => l.cells[c].kind === 'fail').map((c) => `${l.row} ${l.transport} IPv${l.family} ${c}: ${JSON.stringify(l.cells[c])}`));
  assert.deepEqual(failed, [], failed.join('\n'));
  // Our own two rows have no excuse for an n/s cell anywhere.
  const ours = lines.filter((l) => l.row === 'simplesip client' || l.row === 'simplesip client vs Kamailio');
  assert.deepEqual(ours.flatMap((l) => COLUMNS.filter((c) => l.cells[c].kind !== 'pass').map((c) => `${l.row} ${l.transport} IPv${l.family} ${c}`)), []);
});
