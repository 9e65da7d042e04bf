// PublicationStore and a store whose writes fail (a full disk): a PUBLISH answered with an error
// creates, refreshes or modifies nothing (RFC 3903 6), also when another PUBLISH built on it within
// the same commit window; memory and store hold the same publications afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { splitPidf } from '../../src/presence/composition.js';
import { PublicationStore } from '../../src/presence/publication-store.js';
import { openStore, StoreError } from '../../src/store/index.js';
import type { PublicationRecord, PublicationRepository } from '../../src/store/types.js';
import { TimerHeap } from '../../src/transaction/timer-heap.js';
import { pidf } from './presence-peer.js';

const BOB = 'sip:bob@example.com';
const SOURCE = 'udp 127.0.0.1 5070';

/** A publication repository whose writes wait for commit(), then are stored or fail. */
class ManualCommit implements PublicationRepository {
  private queue: Array<{ write: () => Promise<void>; resolve: () => void; reject: (err: Error) => void }> = [];

  constructor(private readonly inner: PublicationRepository) {}

  all(): Promise<PublicationRecord[]> {
    return this.inner.all();
  }

  put(p: PublicationRecord): Promise<void> {
    const copy = { ...p };
    return this.enqueue(() => this.inner.put(copy));
  }

  remove(etag: string): Promise<void> {
    return this.enqueue(() => this.inner.remove(etag));
  }

  replace(p: PublicationRecord, removed: readonly string[]): Promise<void> {
    const copy = { ...p };
    return this.enqueue(() => this.inner.replace?.(copy, [...removed]) ?? Promise.reject(new Error('no replace')));
  }

  /** Each write waiting is stored (true) or fails (false), in the order they came. */
  async commit(outcome: boolean[]): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    for (const [i, w] of batch.entries()) {
      if (outcome[i]) {
        await w.write();
        w.resolve();
      } else {
        w.reject(new StoreError('IO', 'store write failed: database or disk is full'));
      }
    }
  }

  private enqueue(write: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => this.queue.push({ write, resolve, reject }));
  }
}

function record(etag: string, note: string, lastModified: number): PublicationRecord {
  return {
    etag, aor: BOB, event: 'presence', expiresAt: Date.now() + 600_000, contentType: 'application/pidf+xml',
    body: pidf(BOB, 'open', { note }), source: SOURCE, lastModified,
  };
}

async function storeWithOne(): Promise<{ repo: ManualCommit; publications: PublicationStore }> {
  const repo = new ManualCommit((await openStore({ kind: 'memory' })).publications);
  const publications = new PublicationStore(repo, pino({ level: 'silent' }), Date.now, new TimerHeap({ autoRun: false }));
  const first = record('p', 'first', 1);
  const stored = publications.put(first, splitPidf(first.body));
  await repo.commit([true]);
  await stored;
  return { repo, publications };
}

/** The same PUBLISH replaces `p` with `x`, and a refresh of `x` replaces it with `y`, in one commit window. */
async function twoInOneWindow(outcome: boolean[]): Promise<{ repo: ManualCommit; publications: PublicationStore }> {
  const { repo, publications } = await storeWithOne();
  const x = record('x', 'second', 2);
  const a = publications.put(x, splitPidf(x.body), publications.fromSource(BOB, 'presence', SOURCE));
  const y = record('y', 'third', 3);
  const b = publications.put(y, splitPidf(y.body), [publications.get('x') as NonNullable<ReturnType<PublicationStore['get']>>]);
  const settled = Promise.allSettled([a, b]);
  await repo.commit(outcome);
  await settled;
  return { repo, publications };
}

const inMemory = (publications: PublicationStore): string[] => publications.of(BOB).map((p) => p.record.etag).sort();
const inStore = async (repo: ManualCommit): Promise<string[]> => (await repo.all()).map((p) => p.etag).sort();

test('a PUBLISH that fails and a refresh of it that fails in the same commit window: the publication before both', async () => {
  const { repo, publications } = await twoInOneWindow([false, false]);
  assert.deepEqual(inMemory(publications), ['p']);
  assert.deepEqual(await inStore(repo), ['p']);
});

test('a PUBLISH that fails and a refresh of it that is stored in the same commit window: memory and store agree', async () => {
  const { repo, publications } = await twoInOneWindow([false, true]);
  assert.deepEqual(inMemory(publications), await inStore(repo));
  assert.equal(publications.get('x'), undefined, 'the failed one is in neither');
});
