// The storage contract, written once and run against every engine.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError, openStore } from '../../src/store/index.js';
import type { StoreHandle, StoreKind } from '../../src/store/index.js';
import { byId, byUser, collect, fullBinding, minimalBinding, tempDir, user } from './helpers.js';

function contract(kind: StoreKind): void {
  describe(`store contract: ${kind}`, () => {
    const cleanups: Array<() => void> = [];
    const open: StoreHandle[] = [];
    after(async () => {
      for (const s of open) await s.close();
      for (const c of cleanups) c();
    });

    async function fresh(): Promise<StoreHandle> {
      let dataDir: string | undefined;
      if (kind === 'sqlite') {
        const t = tempDir();
        cleanups.push(t.cleanup);
        dataDir = t.dir;
      }
      const s = await openStore({ kind, dataDir });
      open.push(s);
      return s;
    }

    it('reports its kind; an empty store has no users or bindings', async () => {
      const s = await fresh();
      assert.equal(s.kind, kind);
      assert.deepEqual(await s.users.all(), []);
      assert.deepEqual(await s.bindings.all(), []);
      assert.equal(await s.bindings.count(), 0);
    });

    it('users: put, replace on username+domain, case-sensitive user part, remove', async () => {
      const s = await fresh();
      await s.users.put(user('alice'));
      await s.users.put(user('Alice'));
      await s.users.put(user('alice', 'example.org'));
      await s.users.put({ ...user('alice'), ha1Md5: 'changed', createdAt: 42 });
      const all = (await s.users.all()).sort(byUser);
      assert.deepEqual(all, [{ ...user('alice'), ha1Md5: 'changed', createdAt: 42 }, user('Alice'), user('alice', 'example.org')].sort(byUser));
      assert.equal(await s.users.remove('alice', 'example.com'), true);
      assert.equal(await s.users.remove('alice', 'example.com'), false);
      assert.equal(await s.users.remove('nobody', 'example.org'), false);
      assert.deepEqual((await s.users.all()).sort(byUser), [user('Alice'), user('alice', 'example.org')].sort(byUser));
    });

    it('bindings: minimal and full records read back deep-equal (optional fields absent stay absent)', async () => {
      const s = await fresh();
      const records = [minimalBinding(1), fullBinding(2), fullBinding(3, { q: 0, regId: 0, methods: [], lastKeepalive: 0, userAgent: '' })];
      await Promise.all(records.map((b) => s.bindings.put(b)));
      assert.deepEqual((await s.bindings.all()).sort(byId), [...records].sort(byId));
      const min = (await s.bindings.all()).find((b) => b.id === records[0].id);
      assert.ok(min);
      for (const key of ['q', 'userAgent', 'connectionId', 'methods', 'instance', 'regId', 'lastKeepalive']) {
        assert.equal(key in min, false, `${key} must be absent`);
      }
    });

    it('bindings: refresh stores the new expiry, Call-ID, CSeq and times; a binding without a row is stored whole', async () => {
      const s = await fresh();
      const full = fullBinding(1);
      await s.bindings.put(full);
      await s.bindings.put(minimalBinding(2));
      const refreshed = { ...full, expiresAt: full.expiresAt + 60_000, callId: 'new-call@client', cseq: 77, lastKeepalive: 5, lastModified: 6 };
      assert.ok(s.bindings.refresh, 'both engines refresh');
      await s.bindings.refresh(refreshed);
      assert.deepEqual((await s.bindings.all()).sort(byId), [refreshed, minimalBinding(2)].sort(byId));
      // A later change of the caller's object is not stored (parameters are taken at the call).
      const again = { ...refreshed, cseq: 78 };
      const pending = s.bindings.refresh(again);
      again.cseq = 1000;
      await pending;
      assert.equal((await s.bindings.all()).find((b) => b.id === full.id)?.cseq, 78);
      // Removed meanwhile (or never stored): the refresh puts it back whole.
      await s.bindings.remove(full.id);
      await s.bindings.refresh(refreshed);
      assert.deepEqual((await s.bindings.all()).sort(byId), [refreshed, minimalBinding(2)].sort(byId));
    });

    it('bindings: batch puts, refreshes and removes together', async () => {
      const s = await fresh();
      await s.bindings.put(minimalBinding(1));
      await s.bindings.put(fullBinding(2));
      const refreshed = { ...fullBinding(2), cseq: 50, expiresAt: 9 };
      await s.bindings.batch([{ kind: 'remove', id: minimalBinding(1).id }, { kind: 'put', binding: minimalBinding(3) }, { kind: 'refresh', binding: refreshed }]);
      assert.deepEqual((await s.bindings.all()).sort(byId), [refreshed, minimalBinding(3)].sort(byId));
    });

    it('bindings: put replaces by id, remove deletes (removing an unknown id is fine)', async () => {
      const s = await fresh();
      await s.bindings.put(minimalBinding(1));
      await s.bindings.put(minimalBinding(2));
      const refreshed = minimalBinding(1, { expiresAt: 9, cseq: 99, flags: ['nat'] });
      await s.bindings.put(refreshed);
      assert.deepEqual((await s.bindings.all()).sort(byId), [refreshed, minimalBinding(2)].sort(byId));
      await s.bindings.remove(minimalBinding(2).id);
      await s.bindings.remove('no-such-id');
      assert.deepEqual(await s.bindings.all(), [refreshed]);
      assert.equal(await s.bindings.count(), 1);
      // Every column follows the new record: optional fields set, then cleared again.
      const full = fullBinding(7, { id: refreshed.id });
      await s.bindings.put(full);
      assert.deepEqual(await s.bindings.all(), [full]);
      await s.bindings.put(refreshed);
      assert.deepEqual(await s.bindings.all(), [refreshed]);
    });

    it('stores copies: mutating what was put or what was read changes nothing stored', async () => {
      const s = await fresh();
      const b = fullBinding(1);
      const p = s.bindings.put(b);
      b.flags.push('mutated');
      b.received.port = 1;
      b.cseq = -1;
      await p;
      const [read] = await s.bindings.all();
      assert.deepEqual(read, fullBinding(1));
      read.path.push('x');
      read.received.address = 'changed';
      assert.deepEqual(await s.bindings.all(), [fullBinding(1)]);
      const u = user('bob');
      const up = s.users.put(u);
      u.ha1Md5 = 'mutated';
      await up;
      assert.deepEqual(await s.users.all(), [user('bob')]);
    });

    it('a read sees the writes made before it, even in the same turn', async () => {
      const s = await fresh();
      const puts = [s.bindings.put(minimalBinding(1)), s.users.put(user('carol'))];
      const [bindings, users] = await Promise.all([s.bindings.all(), s.users.all()]);
      await Promise.all(puts);
      assert.deepEqual(bindings, [minimalBinding(1)]);
      assert.deepEqual(users, [user('carol')]);
      const removal = s.bindings.remove(minimalBinding(1).id);
      assert.equal(await s.bindings.count(), 0);
      await removal;
    });

    it('put and remove return promises, also in the memory engine', async () => {
      const s = await fresh();
      const p = s.bindings.put(minimalBinding(1));
      assert.ok(p instanceof Promise);
      assert.equal(await p, undefined);
      assert.ok(s.users.remove('x', 'y') instanceof Promise);
    });

    it('removeExpired removes bindings with expiresAt <= now and resolves with how many', async () => {
      const s = await fresh();
      await Promise.all([1, 2, 3, 4].map((i) => s.bindings.put(minimalBinding(i, { expiresAt: i * 100 }))));
      assert.equal(await s.bindings.removeExpired(200), 2);
      assert.deepEqual((await s.bindings.all()).map((b) => b.expiresAt).sort(), [300, 400]);
      assert.equal(await s.bindings.removeExpired(200), 0);
    });

    it('iterate() yields every binding in id order, page by page, while writes go on', async () => {
      const s = await fresh();
      const records = Array.from({ length: 53 }, (_, i) => (i % 2 === 0 ? minimalBinding(i) : fullBinding(i)));
      await Promise.all(records.map((b) => s.bindings.put(b)));
      assert.deepEqual(await collect(s.bindings.iterate(7)), [...records].sort(byId));
      assert.deepEqual(await collect(s.bindings.iterate()), [...records].sort(byId));
      // Writes committed between pages must neither throw nor be blocked by the iteration.
      let seen = 0;
      for await (const b of s.bindings.iterate(5)) {
        assert.ok(b.id);
        seen++;
        if (seen % 5 === 0) await s.bindings.put(minimalBinding(1000 + seen, { id: `zz-${seen}` }));
      }
      assert.ok(seen >= 53);
      assert.equal(await s.bindings.count(), 53 + Math.floor(seen / 5));
    });

    it('after close() every operation rejects with a CLOSED StoreError; close() twice is fine', async () => {
      const s = await fresh();
      await s.bindings.put(minimalBinding(1));
      await s.close();
      await s.close();
      const ops: Array<[string, () => Promise<unknown>]> = [
        ['users.all', () => s.users.all()],
        ['users.put', () => s.users.put(user('x'))],
        ['users.remove', () => s.users.remove('x', 'y')],
        ['bindings.all', () => s.bindings.all()],
        ['bindings.put', () => s.bindings.put(minimalBinding(2))],
        ['bindings.remove', () => s.bindings.remove('x')],
        ['bindings.removeExpired', () => s.bindings.removeExpired(0)],
        ['bindings.count', () => s.bindings.count()],
        ['bindings.iterate', () => collect(s.bindings.iterate())],
      ];
      for (const [name, op] of ops) {
        await assert.rejects(op(), (err: unknown) => {
          assert.ok(err instanceof StoreError, name);
          assert.equal(err.code, 'CLOSED', name);
          assert.match(err.message, /store is closed/);
          return true;
        });
      }
    });

    it('stats() counts writes', async () => {
      const s = await fresh();
      await Promise.all([s.bindings.put(minimalBinding(1)), s.users.put(user('dave'))]);
      const st = s.stats();
      assert.equal(st.writes, 2);
      assert.equal(st.pending, 0);
    });
  });
}

contract('memory');
contract('sqlite');
