// Store throughput: binding puts/s through the sqlite engine with group commit (one transaction per
// event-loop turn) against one transaction per put, with synchronous=NORMAL (the default: survives
// SIGKILL) and FULL (survives power loss: one fsync per commit); then the start-up load of 100k
// bindings with all() and iterate(). Writers are closed loops: C concurrent "REGISTERs", each issuing
// its next put when the previous one resolved, like a registrar under load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openSqliteStore } from '../src/store/sqlite-store.js';
import type { BindingRecord, StoreHandle } from '../src/store/types.js';

export interface StoreBenchResult {
  name: string;
  /** puts/s, or rows/s for the load figures. */
  perSecond: number;
  /** Commits per second (write scenarios). */
  transactionsPerSecond?: number;
  ms: number;
}

function binding(i: number, now: number): BindingRecord {
  return {
    id: `sip:user${i}@example.com|<urn:uuid:00000000-0000-1000-8000-${String(i).padStart(12, '0')}>|1`,
    aor: `sip:user${i}@example.com`,
    contact: `sip:user${i}@198.51.100.${i % 250}:${5060 + (i % 1000)};transport=udp`,
    expiresAt: now + 3_600_000,
    q: 1,
    callId: `${i}-a84b4c76e66710@pc33.example.com`,
    cseq: (now / 1000) | 0,
    userAgent: 'simplesip-bench/1.0',
    received: { protocol: 'udp', address: `198.51.100.${i % 250}`, port: 5060 + (i % 1000) },
    socket: 'udp:[::]:5060',
    path: [],
    instance: `urn:uuid:00000000-0000-1000-8000-${String(i).padStart(12, '0')}`,
    regId: 1,
    flags: i % 3 === 0 ? ['nat'] : [],
    lastKeepalive: now,
    lastModified: now,
  };
}

function withStore<T>(options: { synchronous: 'normal' | 'full'; perOperation: boolean }, fn: (s: StoreHandle) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-store-bench-'));
  const store = openSqliteStore({ kind: 'sqlite', dataDir: dir, synchronous: options.synchronous }, { commit: { perOperation: options.perOperation } });
  return fn(store).finally(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

/** C concurrent writers refreshing a population of `population` bindings for `ms` milliseconds. */
async function closedLoop(store: StoreHandle, concurrency: number, population: number, ms: number): Promise<{ puts: number; transactions: number; elapsed: number }> {
  let next = 0;
  let puts = 0;
  const t0 = store.stats().transactions;
  const start = performance.now();
  const deadline = start + ms;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      await store.bindings.put(binding(next++ % population, Date.now()));
      puts++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { puts, transactions: store.stats().transactions - t0, elapsed: performance.now() - start };
}

export async function runStoreBench(options: { ms?: number; concurrency?: number; loadRows?: number } = {}): Promise<StoreBenchResult[]> {
  const ms = options.ms ?? 2000;
  const concurrency = options.concurrency ?? 500;
  const loadRows = options.loadRows ?? 100_000;
  const results: StoreBenchResult[] = [];
  console.log(`\nstore (sqlite, better-sqlite3): binding puts, ${concurrency} concurrent writers, ${ms} ms per scenario`);

  for (const synchronous of ['normal', 'full'] as const) {
    for (const perOperation of [false, true]) {
      const name = `puts ${perOperation ? 'one transaction per put' : 'group commit'}, synchronous=${synchronous}`;
      const r = await withStore({ synchronous, perOperation }, async (store) => {
        // Warm-up and a population to refresh (re-REGISTERs update existing rows, as in production).
        await Promise.all(Array.from({ length: 10_000 }, (_, i) => store.bindings.put(binding(i, Date.now()))));
        return closedLoop(store, concurrency, 10_000, ms);
      });
      const perSecond = (r.puts * 1000) / r.elapsed;
      results.push({ name, perSecond, transactionsPerSecond: (r.transactions * 1000) / r.elapsed, ms: r.elapsed });
      console.log(`  ${name.padEnd(58)} ${perSecond.toFixed(0).padStart(8)} puts/s  ${((r.transactions * 1000) / r.elapsed).toFixed(0).padStart(7)} commits/s`);
    }
  }

  await withStore({ synchronous: 'normal', perOperation: false }, async (store) => {
    const now = Date.now();
    let start = performance.now();
    for (let i = 0; i < loadRows; i += 10_000) {
      await Promise.all(Array.from({ length: Math.min(10_000, loadRows - i) }, (_, k) => store.bindings.put(binding(i + k, now))));
    }
    let elapsed = performance.now() - start;
    results.push({ name: `insert ${loadRows} bindings, 10k per turn`, perSecond: (loadRows * 1000) / elapsed, ms: elapsed });
    console.log(`  ${`insert ${loadRows} bindings, 10k per turn`.padEnd(58)} ${((loadRows * 1000) / elapsed).toFixed(0).padStart(8)} puts/s  ${elapsed.toFixed(0).padStart(7)} ms`);
    start = performance.now();
    const all = await store.bindings.all();
    elapsed = performance.now() - start;
    if (all.length !== loadRows) throw new Error(`all() returned ${all.length} rows`);
    results.push({ name: `load ${loadRows} bindings with all()`, perSecond: (loadRows * 1000) / elapsed, ms: elapsed });
    console.log(`  ${`load ${loadRows} bindings with all()`.padEnd(58)} ${((loadRows * 1000) / elapsed).toFixed(0).padStart(8)} rows/s  ${elapsed.toFixed(0).padStart(7)} ms`);
    start = performance.now();
    let n = 0;
    for await (const b of store.bindings.iterate()) if (b.id !== '') n++;
    elapsed = performance.now() - start;
    if (n !== loadRows) throw new Error(`iterate() yielded ${n} rows`);
    results.push({ name: `load ${loadRows} bindings with iterate()`, perSecond: (loadRows * 1000) / elapsed, ms: elapsed });
    console.log(`  ${`load ${loadRows} bindings with iterate()`.padEnd(58)} ${((loadRows * 1000) / elapsed).toFixed(0).padStart(8)} rows/s  ${elapsed.toFixed(0).padStart(7)} ms`);
  });
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runStoreBench().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
