// Every way out of `simplesip client` (SIGINT, SIGTERM, SIGHUP, /quit) as an operator and a buddy
// see it: `simplesip ctl ul show` lists no binding left for the user, and a watcher subscribed to
// the user's presence sees closed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../src/control/control-server.js';
import type { PresenceEvent, UserAgent } from '../../src/index.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { runCtl } from '../cli/ctl-run.js';
import { startClient } from './cli-run.js';
import { newUa } from './helpers.js';
import { until } from './scripted-peer.js';

const ALICE = 'sip:alice@example.com';

describe('simplesip client: every way out leaves no binding and shows closed to watchers', () => {
  let srv: RunningServer;
  let control: ControlServer;
  let controlAddress: string;
  let bob: UserAgent;
  let server: string;
  const seen: PresenceEvent[] = [];
  let passwordFile: string;

  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0 });
    await srv.server.users.add('alice', 'example.com', 'alice-secret');
    await srv.server.users.add('bob', 'example.com', 'bob-secret');
    control = new ControlServer(srv.server.controlContext());
    const { port } = await control.listen({ host: '127.0.0.1', port: 0 });
    controlAddress = `127.0.0.1:${port}`;
    server = `sip:127.0.0.1:${srv.port('udp')}`;
    bob = newUa(server, { aor: 'sip:bob@example.com', password: 'bob-secret' });
    bob.on('presence', (p) => seen.push(p));
    await bob.register();
    await bob.subscribe(ALICE);
    await until(() => seen.some((p) => p.basic === 'closed'), 3000, 'bob sees alice closed before she starts');
    const dir = mkdtempSync(join(tmpdir(), 'simplesip-pw-'));
    passwordFile = join(dir, 'pw');
    writeFileSync(passwordFile, 'alice-secret\n');
  });
  after(async () => {
    await bob?.close();
    await control?.close();
    await srv?.stop();
  });

  async function ulShow(): Promise<string> {
    const r = await runCtl(['ul', 'show', 'alice@example.com', '--json', '--control', controlAddress]);
    assert.ok(r.code === 0 || r.code === 1, `ctl failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  async function watchedLifecycle(stop: (c: ReturnType<typeof startClient>) => void, args: string[]): Promise<void> {
    const from = seen.length;
    const c = startClient([...args, '--user', ALICE, '--server', server, '--local-ports', '0', '--password-file', passwordFile]);
    await c.line(/registered/);
    await until(() => seen.slice(from).some((p) => p.basic === 'open'), 3000, 'bob sees alice open');
    assert.match(await ulShow(), /"aor":"sip:alice@example\.com"/);
    const mark = seen.length;
    stop(c);
    assert.equal(await c.exited, 0, c.stderr());
    assert.equal(await ulShow(), '', 'ctl ul show still lists a binding of alice');
    await until(() => seen.slice(mark).some((p) => p.basic === 'closed'), 3000, 'bob sees alice closed');
  }

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    test(signal, () => watchedLifecycle((c) => c.child.kill(signal), ['register', '--json']));
  }

  test('/quit', () => watchedLifecycle((c) => c.child.stdin.write('/quit\n'), []));
});
