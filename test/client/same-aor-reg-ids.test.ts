// Several user agents of one AOR sharing a state directory are one RFC 5626 instance (one
// +sip.instance), so each running one registers its own flow with another reg-id (RFC 5626 4.2):
// each has a binding of its own, and one leaving removes only its own. The first keeps reg-id=1;
// a reg-id is free again once its UA closed or its process died.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, UserAgent } from '../../src/index.js';
import type { BindingRecord } from '../../src/store/types.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { startClient } from './cli-run.js';
import { hostPort, newUa } from './helpers.js';
import { until } from './scripted-peer.js';

const ALICE = 'sip:alice@example.com';

describe('user agents of one AOR and state directory: a reg-id each', () => {
  let srv: RunningServer;
  let server: string;
  let bob: UserAgent;
  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0 });
    await srv.server.users.add('alice', 'example.com', 'alice-secret');
    await srv.server.users.add('bob', 'example.com', 'bob-secret');
    server = `sip:127.0.0.1:${srv.port('udp')}`;
    bob = newUa(server, { aor: 'sip:bob@example.com', password: 'bob-secret' });
  });
  after(async () => {
    await bob?.close();
    await srv?.stop();
  });

  const bindings = (): BindingRecord[] => srv.server.location.lookup(ALICE);
  /** [contact, reg-id] of each binding of alice, lowest reg-id first. */
  const flows = (): Array<[string, number | undefined]> => bindings()
    .sort((x, y) => (x.regId ?? 0) - (y.regId ?? 0)).map((b) => [b.contact, b.regId]);
  const regIdOf = (ua: UserAgent): number | undefined => {
    const port = hostPort(ua.contact as string).port;
    return bindings().find((b) => hostPort(b.contact).port === port)?.regId;
  };

  test('two in one process: both bound (reg-id 1 and 2); closing one leaves the other bound and reached', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'simplesip-ua-'));
    const first = newUa(server, { password: 'alice-secret', stateDir });
    const second = newUa(server, { password: 'alice-secret', stateDir });
    const toFirst: IncomingMessage[] = [];
    const toSecond: IncomingMessage[] = [];
    first.on('message', (m) => toFirst.push(m));
    second.on('message', (m) => toSecond.push(m));
    try {
      await first.register();
      await second.register();
      assert.equal(bindings().length, 2, 'the second REGISTER replaced the first binding');
      assert.equal(new Set(bindings().map((b) => b.instance)).size, 1, 'one +sip.instance for both (one device)');
      assert.equal(regIdOf(first), 1);
      assert.equal(regIdOf(second), 2);
      assert.equal((await bob.sendMessage('alice', 'to both')).status, 200);
      await until(() => toFirst.length === 1 && toSecond.length === 1, 2000, 'both receive the MESSAGE');

      assert.deepEqual(await second.close(), {});
      assert.deepEqual(bindings().map((b) => b.regId), [1], 'the un-REGISTER of reg-id 2 removed another binding');
      assert.equal((await bob.sendMessage('alice', 'to the one left')).status, 200);
      await until(() => toFirst.length === 2, 2000, 'the one left receives the MESSAGE');
      assert.equal(toFirst[1].body, 'to the one left');

      // Its reg-id is free again: the next one takes it, not 3.
      const third = newUa(server, { password: 'alice-secret', stateDir });
      try {
        await third.register();
        assert.equal(regIdOf(third), 2);
      } finally {
        await third.close();
      }
    } finally {
      await second.close();
      await first.close();
    }
    assert.deepEqual(bindings(), []);
  });

  test('`simplesip client register` twice at once: a binding each; a killed one\'s reg-id is taken again; SIGTERM removes only its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simplesip-same-aor-'));
    const passwordFile = join(dir, 'pw');
    writeFileSync(passwordFile, 'alice-secret\n');
    const stateDir = join(dir, 'state');
    const args = ['register', '--user', ALICE, '--server', server, '--local-ports', '0', '--password-file', passwordFile, '--state-dir', stateDir];
    const contactOf = (line: string): string => / as (\S+) for /.exec(line)?.[1] as string;
    const first = startClient(args);
    const firstContact = contactOf(await first.line(/^registered/));
    const second = startClient(args);
    try {
      const secondContact = contactOf(await second.line(/^registered/));
      assert.deepEqual(flows(), [[firstContact, 1], [secondContact, 2]]);

      // A process that dies without closing leaves its binding and its lock; a dead process holds
      // no reg-id: a client started again takes reg-id 1 and so replaces the dead one's binding.
      first.child.kill('SIGKILL');
      await first.exited;
      const again = newUa(server, { password: 'alice-secret', stateDir });
      try {
        await again.register();
        assert.deepEqual(flows(), [[again.contact, 1], [secondContact, 2]]);

        second.child.kill('SIGTERM');
        assert.equal(await second.exited, 0, second.stderr());
        assert.deepEqual(flows(), [[again.contact, 1]], 'SIGTERM removed another binding than its own');
        const received: IncomingMessage[] = [];
        again.on('message', (m) => received.push(m));
        assert.equal((await bob.sendMessage('alice', 'still here?')).status, 200);
        await until(() => received.length === 1, 2000, 'the client left receives the MESSAGE');
      } finally {
        await again.close();
      }
    } finally {
      first.child.kill('SIGKILL');
      second.child.kill('SIGKILL');
    }
    assert.deepEqual(bindings(), []);
  });
});
