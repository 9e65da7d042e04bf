// The peer matrix (npm run interop) as part of the suite: every row runs against real peers over
// UDP, TCP and TLS on IPv4 and IPv6, and no cell may be `fail:` but for a peer bug listed below with
// its evidence; `n/s` cells carry how we know the peer lacks the feature (test/interop/matrix/*).
// Takes about a minute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COLUMNS, type Column, type Transport } from './matrix/cells.js';
import { FAMILIES, runMatrix, TRANSPORTS } from './matrix/run-matrix.js';

const ROWS = ['simplesip client', 'finch (libpurple SIMPLE)', 'SIPp', 'sipsak', 'baresip', 'simplesip client vs Kamailio'];

/**
 * Failures that are the peer's own bug, each with the reason its cell must give (anything else in
 * that cell still fails the test). finch over TCP: libpurple handles one SIP message per read()
 * (peers README), so a NOTIFY that arrives in the same read as the message before it (typically the
 * 2xx of its SUBSCRIBE) waits in its buffer; the server sends the next NOTIFY only once that one is
 * answered (RFC 6665 4.2.2), so finch shows its buddy offline. The cell gives this reason only when
 * the server holds finch's subscription as active and finch's debug log shows no NOTIFY read.
 */
const PEER_BUGS: Array<{ row: string; transport: Transport; column: Column; reason: RegExp }> = [
  { row: 'finch (libpurple SIMPLE)', transport: 'tcp', column: 'presence watch', reason: /^libpurple TCP bug: / },
];

test('peer matrix: no cell fails', { timeout: 15 * 60_000 }, async () => {
  const lines = await runMatrix([], (line) => process.stderr.write(`${line.text}\n`));
  // Every row, transport and family has its line: a row that vanished must not look green.
  assert.deepEqual(lines.map((l) => `${l.row} ${l.transport} ${l.family}`),
    ROWS.flatMap((r) => TRANSPORTS.flatMap((t) => FAMILIES.map((f) => `${r} ${t} ${f}`))));
  const failed = lines.flatMap((l) => COLUMNS.filter((c) => {
    const cell = l.cells[c];
    if (cell.kind !== 'fail') return false;
    return !PEER_BUGS.some((b) => b.row === l.row && b.transport === l.transport && b.column === c && b.reason.test(cell.reason));
  }).map((c) => `${l.row} ${l.transport} IPv${l.family} ${c}: ${JSON.stringify(l.cells[c])}`));
  assert.deepEqual(failed, [], failed.join('\n'));
  // Our own two rows have no excuse for an n/s cell anywhere.
  const ours = lines.filter((l) => l.row === 'simplesip client' || l.row === 'simplesip client vs Kamailio');
  assert.deepEqual(ours.flatMap((l) => COLUMNS.filter((c) => l.cells[c].kind !== 'pass').map((c) => `${l.row} ${l.transport} IPv${l.family} ${c}`)), []);
});
