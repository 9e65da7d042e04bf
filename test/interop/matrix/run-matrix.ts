// Runs the peer matrix: a simplesip server in this process on dual-stack loopback sockets (UDP, TCP,
// and TLS with a throw-away certificate), then every row per transport and family. Used by
// `npm run interop` (prints the table) and by matrix.test.ts (fails on any `fail:` cell).
import { createWriteStream } from 'node:fs';
import { startServer } from '../../helpers/server.js';
import { makeTestCertificate } from '../../helpers/tls-cert.js';
import { COLUMNS, render, type Column, type Family, type Outcome, type PeerRow, type Transport } from './cells.js';
import { kamailioRow } from './kamailio-row.js';
import { finchRow } from './finch-row.js';
import { baresipRow, simplesipClientRow, sipsakRow } from './rows.js';
import { PASSWORD } from './common.js';
import { sippRow } from './sipp-row.js';

export const TRANSPORTS: Transport[] = ['udp', 'tcp', 'tls'];
export const FAMILIES: Family[] = [4, 6];

export interface MatrixLine {
  row: string;
  transport: Transport;
  family: Family;
  cells: Record<Column, Outcome>;
  /** The line of the Markdown table. */
  text: string;
}

export const TABLE_HEADER = [`| peer | transport | family | ${COLUMNS.join(' | ')} |`, `|${' --- |'.repeat(COLUMNS.length + 3)}`];

/** Runs the rows whose name contains one of `only` (all when empty); `onLine` sees each line as it is done. */
export async function runMatrix(only: string[] = [], onLine: (line: MatrixLine) => void = () => undefined): Promise<MatrixLine[]> {
  const certificate = makeTestCertificate();
  // MATRIX_TRACE=FILE writes the shared server's SIP trace there (for a failing cell's story).
  const trace = process.env.MATRIX_TRACE ? createWriteStream(process.env.MATRIX_TRACE) : undefined;
  const srv = await startServer({ listen: ['udp:*:0', 'tcp:*:0', 'tls:*:0'], probeIntervalSeconds: 0, tlsCert: certificate.certFile, tlsKey: certificate.keyFile, trace: trace !== undefined }, trace);
  const out: MatrixLine[] = [];
  try {
    for (const host of ['127.0.0.1', '::1']) for (const user of ['alice', 'bob']) await srv.server.users.add(user, host, PASSWORD);
    const rows: PeerRow[] = [simplesipClientRow(srv.server), finchRow(srv.server), sippRow(srv.server), sipsakRow(srv.server), baresipRow(), kamailioRow()];
    for (const row of rows.filter((r) => only.length === 0 || only.some((o) => r.name.includes(o)))) {
      const version = await row.version().catch(() => 'not installed');
      for (const transport of TRANSPORTS) {
        for (const family of FAMILIES) {
          const host = family === 4 ? '127.0.0.1' : '::1';
          const cells = await row.run({ transport, family, host, port: srv.port(transport), certificate })
            .catch((e: unknown) => Object.fromEntries(COLUMNS.map((c) => [c, { kind: 'fail' as const, reason: String(e) }])) as Record<Column, Outcome>);
          const text = `| ${row.name} (${version}) | ${transport.toUpperCase()} | IPv${family} | ${COLUMNS.map((c) => render(cells[c])).join(' | ')} |`;
          const line = { row: row.name, transport, family, cells, text };
          out.push(line);
          onLine(line);
        }
      }
    }
  } finally {
    await srv.stop();
    certificate.remove();
    trace?.end();
  }
  return out;
}
