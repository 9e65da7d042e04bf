// The robustness table of `npm run interop` (README "Robustness") as part of the suite: per peer
// (simplesip client, finch, baresip) over UDP on IPv4, a SIGKILLed peer and a dropped link are found
// within the bound and leave a stored MESSAGE behind, and a server restart keeps them reachable.
// Every peer has its row and no cell may fail. Takes about 90 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROBUSTNESS_COLUMNS, runRobustness } from './matrix/robustness.js';

const PEERS = ['simplesip client', 'finch (libpurple SIMPLE)', 'baresip'];

test('robustness table: every peer has its row and no cell fails', { timeout: 10 * 60_000 }, async () => {
  const { lines, failed } = await runRobustness([]);
  const rows = lines.slice(2).map((line) => line.split('|').map((c) => c.trim()).filter((c) => c !== ''));
  assert.deepEqual(rows.map((r) => r[0]), PEERS, 'a row that vanished must not look green');
  for (const row of rows) assert.equal(row.length, 1 + ROBUSTNESS_COLUMNS.length, `${row[0]}: one cell per column`);
  assert.equal(failed, 0, lines.join('\n'));
});
