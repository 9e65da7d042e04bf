// Presence end to end, over UDP and TCP, IPv4 and IPv6 (issue 5): A watches B; B registers -> A sees
// open; B publishes a note -> A sees it in the first tuple; B's second device publishes -> composed;
// B's first device unregisters and the second one's binding dies -> A sees closed; A unsubscribes ->
// terminated; a NOTIFY to a dead watcher removes its subscription.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../helpers/server.js';
import { firstTuple, pidf, PresencePeer } from './presence-peer.js';

for (const protocol of ['udp', 'tcp'] as const) {
  for (const host of ['127.0.0.1', '::1']) {
    describe(`presence e2e over ${protocol} ${host}`, () => {
      let srv: RunningServer;
      const bracket = host.includes(':') ? `[${host}]` : host;
      const bob = `sip:bob@${bracket}`;
      before(async () => {
        srv = await startServer({ listen: [`${protocol}:${bracket}:0`], auth: false, probeIntervalSeconds: 0 });
      });
      after(() => srv.stop());

      test('watch, register, publish, compose, unregister, binding death, unsubscribe, dead watcher', async () => {
        const port = srv.port(protocol);
        const alice = await PresencePeer.open(protocol, host, port, 'alice');
        const bob1 = await PresencePeer.open(protocol, host, port, 'bob');
        const bob2 = await PresencePeer.open(protocol, host, port, 'bob');
        const carol = await PresencePeer.open(protocol, host, port, 'carol');
        try {
          // RFC 6665 4.2.1.1: 200 (not 202) with a To tag, Contact and Expires; then a NOTIFY at once.
          const { response, dialog } = await alice.subscribe(bob, { accept: 'application/pidf+xml, application/xpidf+xml' });
          assert.equal(response.status, 200);
          assert.ok(dialog.toTag !== '');
          assert.match(dialog.target, /^sip:/);
          assert.equal(response.expires(), 600);
          let n = await alice.notify();
          assert.equal(n.event()?.package, 'presence');
          assert.equal(n.subscriptionState()?.state, 'active');
          assert.ok((n.subscriptionState()?.expires ?? 0) > 590);
          assert.equal(n.contentType()?.subtype, 'pidf+xml');
          assert.equal(n.callId(), dialog.callId);
          assert.equal(n.to().tag, dialog.fromTag);
          assert.equal(firstTuple(n).basic, 'closed', 'no binding: closed');

          assert.equal((await bob1.register()).status, 200);
          n = await alice.notify();
          assert.equal(firstTuple(n).basic, 'open', 'registered, never published: open');

          const pub = await bob1.publish({ body: pidf(bob, 'open', { note: 'in a meeting' }), expires: 600 });
          assert.equal(pub.status, 200);
          assert.ok(pub.sipETag());
          assert.equal(pub.expires(), 600);
          n = await alice.notify();
          assert.deepEqual(firstTuple(n), { basic: 'open', note: 'in a meeting' });

          assert.equal((await bob2.register()).status, 200);
          const rpid = '<dm:person id="p2"><rpid:activities><rpid:on-the-phone/></rpid:activities></dm:person>';
          assert.equal((await bob2.publish({ body: pidf(bob, 'open', { tupleId: 't1', extra: rpid }) })).status, 200);
          n = await alice.notifyUntil((x) => x.body.toString().includes('on-the-phone'));
          const body = n.body.toString();
          assert.equal((body.match(/<tuple /g) ?? []).length, 3, 'summary + one tuple per device');
          assert.match(body, /id="t1-2"/, 'colliding tuple ids made unique');
          assert.match(body, /in a meeting/);

          // Device 1 goes: its publication goes with its binding; device 2 still open, without a note.
          assert.equal((await bob1.register(0)).status, 200);
          n = await alice.notifyUntil((x) => !x.body.toString().includes('in a meeting'));
          assert.equal(firstTuple(n).basic, 'open');
          // Device 2's binding is found dead (as the OPTIONS prober or a closed connection reports it).
          await srv.server.location.remove(bob, undefined, 'dead');
          n = await alice.notify();
          assert.deepEqual(firstTuple(n), { basic: 'closed', note: undefined });

          // A watcher whose NOTIFY fails (481) is removed, and nothing retries.
          const c = await carol.subscribe(bob);
          assert.equal(c.response.status, 200);
          await carol.notify(481);
          await new Promise((r) => setTimeout(r, 200));
          const watchers = srv.server.controlContext().presence?.watchers(bob) ?? [];
          assert.deepEqual(watchers.map((w) => w.watcher), [alice.aor]);

          // RFC 6665 4.2.1.4: unsubscribe; the last NOTIFY says terminated.
          const un = await alice.resubscribe(dialog, 0);
          assert.equal(un.status, 200);
          n = await alice.notify();
          assert.equal(n.subscriptionState()?.state, 'terminated');
          assert.equal(srv.server.controlContext().presence?.watchers(bob).length, 0);
          assert.equal((await alice.resubscribe(dialog, 600)).status, 481, 'the dialog is gone');
        } finally {
          for (const p of [alice, bob1, bob2, carol]) p.close();
        }
      });
    });
  }
}
