// `npm run interop [ROW...]`: the peer matrix (README "Interoperability") as a Markdown table on
// stdout, each line on stderr as it is done, then the robustness table (README "Robustness"); exits
// 1 when any cell failed. ROW picks rows whose name contains it (e.g. `npm run interop -- finch`).
import { COLUMNS } from '../test/interop/matrix/cells.js';
import { runMatrix, TABLE_HEADER } from '../test/interop/matrix/run-matrix.js';
import { runRobustness } from '../test/interop/matrix/robustness.js';

const only = process.argv.slice(2);
const started = Date.now();
const lines = await runMatrix(only, (line) => process.stderr.write(`${line.text}\n`));
console.log([...TABLE_HEADER, ...lines.map((l) => l.text)].join('\n'));
const failed = lines.flatMap((l) => COLUMNS.filter((c) => l.cells[c].kind === 'fail')).length;
process.stderr.write(`peer matrix: ${lines.length} lines, ${failed} failed cells, ${Math.round((Date.now() - started) / 1000)} s\n`);
// A second, smaller table: robustness per peer (README "Robustness").
const robustness = await runRobustness(only);
console.log(`\n${robustness.lines.join('\n')}`);
process.exit(failed + robustness.failed > 0 ? 1 : 0);
