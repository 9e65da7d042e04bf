// `simplesip client --config FILE` (JSON): paths in it are taken from the file's own directory (as
// the server's config file does), so one file works from any working directory; a misspelt key is
// refused with a suggestion instead of being ignored; localPorts takes the library's {min, max} too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../helpers/server.js';
import { startClient } from './cli-run.js';

describe('simplesip client --config', () => {
  let srv: RunningServer;
  let dir: string;
  const AOR = 'sip:alice@127.0.0.1';
  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], probeIntervalSeconds: 0 });
    await srv.server.users.add('alice', '127.0.0.1', 'alice-secret');
    dir = mkdtempSync(join(tmpdir(), 'simplesip-client-config-'));
    writeFileSync(join(dir, 'alice.pw'), 'alice-secret\n');
  });
  after(async () => {
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, config: object): string => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(config));
    return file;
  };

  test('a relative passwordFile is found next to the config file, whatever the working directory; localPorts as {min, max}', async () => {
    const file = write('ok.json', {
      user: AOR, server: `sip:127.0.0.1:${srv.port('udp')}`, passwordFile: 'alice.pw', localPorts: { min: 0, max: 0 },
    });
    const c = startClient(['register', '--json', '--config', file]);
    await c.line(/"event":"registered"/);
    assert.equal(srv.server.location.lookup(AOR).length, 1);
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 0, c.stderr());
  });

  test('a misspelt key and a value of the wrong kind are refused, naming the file and the key (exit 2)', async () => {
    const misspelt = startClient(['register', '--config', write('typo.json', { usr: AOR })]);
    assert.equal(await misspelt.exited, 2);
    assert.match(misspelt.stderr(), /typo\.json: unknown setting "usr" \(did you mean "user"\?\)/);
    const wrongKind = startClient(['register', '--config', write('kind.json', { user: AOR, expires: '600' })]);
    assert.equal(await wrongKind.exited, 2);
    assert.match(wrongKind.stderr(), /kind\.json: "expires" takes a whole number, not "600"/);
  });
});
