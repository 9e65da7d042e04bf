// `simplesip client` against simplesip's server: digest registration and a clean exit by every way
// out (SIGINT, SIGTERM, SIGHUP, /quit): the location service keeps no binding. Scripts' exit codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../helpers/server.js';
import { startClient } from './cli-run.js';

const AOR = 'sip:alice@example.com';

describe('simplesip client against simplesip server', () => {
  let srv: RunningServer;
  let server: string;
  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0 });
    await srv.server.users.add('alice', 'example.com', 'alice-secret');
    server = `sip:127.0.0.1:${srv.port('udp')}`;
  });
  after(() => srv.stop());

  const bindings = (): number => srv.server.location.lookup(AOR).length;

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    test(`register --json, then ${signal}: unregistered, exit 0, no binding left`, async () => {
      const c = startClient(['register', '--json', '--user', AOR, '--server', server, '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'alice-secret' });
      const line = JSON.parse(await c.line(/"event":"registered"/)) as { contact: string; expires: number };
      assert.match(line.contact, /^sip:alice@127\.0\.0\.1:\d+$/);
      assert.equal(bindings(), 1);
      c.child.kill(signal);
      assert.equal(await c.exited, 0, c.stderr());
      assert.match(c.stdout(), /"event":"unregistered"/);
      assert.equal(bindings(), 0);
    });
  }

  test('chat: /quit unregisters', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simplesip-pw-'));
    writeFileSync(join(dir, 'pw'), 'alice-secret\n');
    const c = startClient(['--user', AOR, '--server', server, '--local-ports', '0', '--password-file', join(dir, 'pw')]);
    await c.line(/^(> )?registered sip:alice@example.com/);
    assert.equal(bindings(), 1);
    c.child.stdin.write('/quit\n');
    assert.equal(await c.exited, 0, c.stderr());
    assert.equal(bindings(), 0);
  });

  test('wrong password: exit 4 and a plain message', async () => {
    const c = startClient(['register', '--user', AOR, '--server', server, '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'wrong' });
    c.child.stdin.end();
    assert.equal(await c.exited, 4);
    assert.match(c.stderr(), /wrong username or password/);
    assert.equal(bindings(), 0);
  });

  test('send: a refused MESSAGE exits 1 with the status', async () => {
    const c = startClient(['send', '--to', 'sip:nobody@elsewhere.invalid', '--user', AOR, '--server', server, '--local-ports', '0', 'hello'], { SIMPLESIP_PASSWORD: 'alice-secret' });
    const code = await c.exited;
    assert.equal(code, 1, c.stderr());
    assert.match(c.stderr(), /MESSAGE: 4\d\d /);
  });

  test('no account: usage error, exit 2', async () => {
    const c = startClient(['register']);
    assert.equal(await c.exited, 2);
    assert.match(c.stderr(), /--user/);
  });

  test('unreachable server: exit 3 within the transaction timeout', async () => {
    // A UDP port with nothing behind it: ICMP port unreachable or Timer F (shortened by nothing here: bounded by the test timeout).
    const c = startClient(['register', '--user', AOR, '--server', 'sip:127.0.0.1:9;transport=tcp', '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'x' });
    assert.equal(await c.exited, 3, c.stderr());
    assert.match(c.stderr(), /cannot be reached|cannot open a flow/);
  });

  test('a --state-dir that cannot be made (under /proc): exit 1 at once, saying which directory', async () => {
    const c = startClient(['register', '--user', AOR, '--server', 'sip:127.0.0.1:9', '--state-dir', '/proc/simplesip-no-such-dir', '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'x' });
    assert.equal(await c.exited, 1, c.stderr());
    assert.match(c.stderr(), /cannot keep the instance id in the state directory \/proc\/simplesip-no-such-dir: ENOENT/);
  });
});
