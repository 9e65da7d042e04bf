// `npm run interop`: the peer matrix (README "Interoperability") as a Markdown table. Starts a
// simplesip server in this process on dual-stack loopback sockets, runs every row's cells per
// transport and family, prints the table, and exits 1 when any cell failed.
import { startServer } from '../test/helpers/server.js';
import { makeTestCertificate } from '../test/helpers/tls-cert.js';
import { COLUMNS, render, type Family, type PeerRow, type Transport } from '../test/interop/matrix/cells.js';
import { baresipRow, finchRow, simplesipClientRow, sipsakRow, PASSWORD } from '../test/interop/matrix/rows.js';
import { kamailioRow } from '../test/interop/matrix/kamailio-row.js';
import { sippRow } from '../test/interop/matrix/sipp-row.js';
import { runRobustness } from '../test/interop/matrix/robustness.js';

// TLS listeners present a throw-away certificate made here (SAN 127.0.0.1 and ::1); clients trust it.
const certificate = makeTestCertificate();
const srv = await startServer({ listen: ['udp:*:0', 'tcp:*:0', 'tls:*:0'], probeIntervalSeconds: 0, tlsCert: certificate.certFile, tlsKey: certificate.keyFile });
for (const host of ['127.0.0.1', '::1']) for (const user of ['alice', 'bob']) await srv.server.users.add(user, host, PASSWORD);
const rows: PeerRow[] = [
  simplesipClientRow(srv.server), finchRow(srv.server), sippRow(srv.server), sipsakRow(srv.server),
  baresipRow(), kamailioRow(),
];
const only = process.argv.slice(2);
const lines = [`| peer | transport | family | ${COLUMNS.join(' | ')} |`, `|${' --- |'.repeat(COLUMNS.length + 3)}`];
let failed = 0;
for (const row of rows.filter((r) => only.length === 0 || only.some((o) => r.name.includes(o)))) {
  const version = await row.version().catch(() => 'not installed');
  for (const transport of ['udp', 'tcp', 'tls'] as Transport[]) {
    for (const family of [4, 6] as Family[]) {
      const host = family === 4 ? '127.0.0.1' : '::1';
      const port = srv.port(transport);
      const cells = await row.run({ transport, family, host, port, certificate }).catch((e: unknown) => Object.fromEntries(COLUMNS.map((c) => [c, { kind: 'fail' as const, reason: String(e) }])));
      failed += COLUMNS.filter((c) => cells[c].kind === 'fail').length;
      lines.push(`| ${row.name} (${version}) | ${transport.toUpperCase()} | IPv${family} | ${COLUMNS.map((c) => render(cells[c])).join(' | ')} |`);
      process.stderr.write(`${lines[lines.length - 1]}\n`);
    }
  }
}
await srv.stop();
certificate.remove();
console.log(lines.join('\n'));
// A second, smaller table: robustness per peer (README "Robustness").
const robustness = await runRobustness(only);
console.log(`\n${robustness.lines.join('\n')}`);
process.exit(failed + robustness.failed > 0 ? 1 : 0);
