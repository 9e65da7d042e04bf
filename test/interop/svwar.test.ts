// sipvicious svwar, the scanner attackers use to enumerate SIP accounts, must not tell which users
// exist: unknown users and wrong passwords get the same challenge. A deliberately leaky toy
// registrar (401 for real users, 404 for the rest) is the positive control that proves the
// assertion can fail.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../helpers/free-port.js';
import { requirePeer, SVWAR } from '../helpers/peers.js';
import { runPeer, type PeerRun } from '../helpers/run-peer.js';
import { startServer, type RunningServer } from '../helpers/server.js';

const leakyDemo = join(import.meta.dirname, 'peers', 'svwar-leaky-demo.py');

/** Extensions 100-110 tried with REGISTER; svwar's HOME is a scratch directory (it stores sessions there). */
async function scan(svwar: string, port: number, home: string, extra: string[] = []): Promise<PeerRun> {
  const localPort = await freePort();
  return runPeer('env', [`HOME=${home}`, svwar, '-b', '127.0.0.1', '-P', String(localPort), '-p', String(port), '-e', '100-110',
    ...extra, '127.0.0.1'], { timeoutMs: 30000 });
}

/** Extensions svwar lists in its result table. */
function found(r: PeerRun): string[] {
  return [...r.stdout.matchAll(/^\|\s*(\d+)\s*\|/gm)].map((m) => m[1]);
}

describe('svwar (sipvicious) cannot enumerate users', () => {
  let svwar: string;
  let home: string;
  before(() => {
    svwar = requirePeer(SVWAR);
    home = mkdtempSync(join(tmpdir(), 'svwar-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  test('positive control: a leaky registrar gives its users away', async (t) => {
    const port = await freePort();
    const demo = spawn('python3', [leakyDemo, String(port), '101', '105'], { stdio: 'ignore' });
    t.after(() => demo.kill());
    await new Promise((resolve) => setTimeout(resolve, 300));
    const r = await scan(svwar, port, home);
    assert.deepEqual(found(r), ['101', '105'], `${r.stdout}\n${r.stderr}`);
  });

  describe('against simplesip with users 101 and 105', () => {
    let srv: RunningServer;
    before(async () => {
      srv = await startServer({ listen: ['udp:127.0.0.1:0'] });
      for (const user of ['101', '105']) await srv.server.users.add(user, '127.0.0.1', `secret-${user}`);
    });
    after(() => srv.stop());

    test('no extension is listed', async () => {
      const r = await scan(svwar, srv.port('udp'), home);
      assert.deepEqual(found(r), [], `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /found nothing|authentication request for an unknown extension/);
    });

    test('no extension is listed with --force either: every one gets the same challenge', async () => {
      const r = await scan(svwar, srv.port('udp'), home, ['--force']);
      assert.deepEqual(found(r), [], `${r.stdout}\n${r.stderr}`);
    });
  });
});
