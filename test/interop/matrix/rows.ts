// The rows of the peer matrix. Each cell really runs the peer against a simplesip server started by
// the runner (in-process, loopback); what a peer cannot do is written down with how we know.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserAgent, type IncomingMessage } from '../../../src/index.js';
import type { SipServer } from '../../../src/server/sip-server.js';
import { freePort } from '../../helpers/free-port.js';
import { requirePeer, SIPSAK } from '../../helpers/peers.js';
import { runPeer } from '../../helpers/run-peer.js';
import { startServer } from '../../helpers/server.js';
import { BaresipPeer, requireBaresip } from '../lib/baresip.js';
import { all, fail, pass, unsupported, type Column, type Outcome, type PeerRow, type Target } from './cells.js';
import { bindingsOf, bracket, hostPort, matrixUa, outcome, PASSWORD, registeredOver, until, withTimeout } from './common.js';

const scenarios = join(import.meta.dirname, '..', 'scenarios');

export function simplesipClientRow(server: SipServer): PeerRow {
  return {
    name: 'simplesip client',
    version: async () => 'simplesip 0.1.0',
    async run(t) {
      const ua = (user: string): UserAgent => matrixUa(user, t);
      const alice = ua('alice');
      const bob = ua('bob');
      const out = {} as Record<Column, Outcome>;
      const inbox: IncomingMessage[] = [];
      alice.on('message', (m) => inbox.push(m));
      try {
        out['register+auth'] = await outcome(async () => { await withTimeout(Promise.all([alice.register(), bob.register()]), 8000, 'REGISTER'); });
        if (out['register+auth'].kind === 'pass') out['register+auth'] = registeredOver(server, 'alice', t);
        const send = async (from: UserAgent, to: string): Promise<void> => {
          const r = await withTimeout(from.sendMessage(`sip:${to}@${bracket(t.host)}`, 'matrix hello'), 8000, 'MESSAGE');
          if (!r.accepted) throw new Error(`MESSAGE answered ${r.status} ${r.reason}`);
        };
        out['message out'] = await outcome(() => send(alice, 'bob'));
        out['message in'] = await outcome(async () => {
          await send(bob, 'alice');
          const deadline = Date.now() + 3000;
          while (inbox.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          if (inbox.length === 0) throw new Error('accepted, but never delivered');
        });
        out['presence publish'] = await outcome(() => withTimeout(alice.setPresence({ basic: 'open', note: 'matrix' }), 8000, 'PUBLISH'));
        out['presence watch'] = await outcome(async () => {
          await withTimeout(bob.subscribe(`sip:alice@${bracket(t.host)}`), 8000, 'SUBSCRIBE');
          const deadline = Date.now() + 3000;
          for (;;) {
            const b = (await bob.buddies()).find((x) => x.buddy.includes('alice'));
            if (b?.basic === 'open') return;
            if (Date.now() > deadline) throw new Error(`buddy state ${b?.basic ?? 'none'} (${b?.reason ?? 'no NOTIFY with PIDF'})`);
            await new Promise((r) => setTimeout(r, 100));
          }
        });
      } finally {
        await alice.close();
        await bob.close();
      }
      out['clean unregister'] = bindingsOf(server, 'alice', t) + bindingsOf(server, 'bob', t) === 0 ? pass() : fail('binding left after close()');
      return out;
    },
  };
}

export function sipsakRow(server: SipServer): PeerRow {
  return {
    name: 'sipsak',
    version: async () => (/sipsak [\d.]+/.exec((await runPeer(requirePeer(SIPSAK), ['-V'])).stdout)?.[0] ?? 'sipsak'),
    async run(t) {
      // peers README: `-s sip:[::1]:5070` -> "error: string is not a number"; no TLS in the Debian build.
      if (t.family === 6) return all(unsupported('no IPv6 (URI parser rejects [::1], peers README)'));
      if (t.transport === 'tls') return all(unsupported('Debian build has no TLS (sipsak -E tls refused)'));
      const sipsak = requirePeer(SIPSAK);
      const user = `sipsak${t.transport}`;
      await server.users.add(user, t.host, PASSWORD).catch(() => undefined);
      const contact = `sip:${user}@127.0.0.1:${await freePort()}`;
      const reg = async (expires: number): Promise<Outcome> => {
        const r = await runPeer(sipsak, ['-U', '-i', '-s', `sip:${user}@${hostPort(t)}`, '-u', user, '-a', PASSWORD, '-H', '127.0.0.1',
          '-E', t.transport, '-x', String(expires), '-C', contact], { timeoutMs: 10000 });
        return r.status === 0 ? pass() : fail(`exit ${r.status}: ${(r.stdout + r.stderr).trim().split('\n').pop() ?? ''}`);
      };
      const noRecv = unsupported('sends only; -M segfaults (peers README)');
      // No binding check here: sipsak closes its TCP connection on exit, which takes a stream binding
      // with it (README, dead-contact time), so the 200 is the evidence.
      const registered = await reg(120);
      const unregistered = await reg(0);
      return {
        'register+auth': registered, 'message out': await sipsakMessage(sipsak, user, t), 'message in': noRecv,
        'presence publish': unsupported('no PUBLISH support'), 'presence watch': noRecv,
        'clean unregister': unregistered.kind === 'pass' && bindingsOf(server, user, t) === 0 ? pass() : unregistered.kind === 'pass' ? fail('binding left') : unregistered,
      };
    },
  };
}

/**
 * sipsak sends the MESSAGE template (scenarios/sipsak-message.sip, body "hello from sip") with
 * `-f`, answering the challenge as `user`; a simplesip client (bob) must receive it. The template is
 * filled in here: sipsak's own -G substitution cuts five-digit ports (sipsak-message.test.ts).
 */
async function sipsakMessage(sipsak: string, user: string, t: Target): Promise<Outcome> {
  const bob = matrixUa('bob', t);
  const inbox: IncomingMessage[] = [];
  bob.on('message', (m) => inbox.push(m));
  const dir = mkdtempSync(join(tmpdir(), 'matrix-sipsak-'));
  try {
    return await outcome(async () => {
      await withTimeout(bob.register(), 8000, 'simplesip client REGISTER');
      const file = join(dir, 'message.sip');
      writeFileSync(file, readFileSync(join(scenarios, 'sipsak-message.sip'), 'utf8')
        .replaceAll('$user$', 'bob').replaceAll('$from$', user).replaceAll('$dsthost$', t.host).replaceAll('$srchost$', '127.0.0.1'));
      const r = await runPeer(sipsak, ['-f', file, '-s', `sip:bob@${hostPort(t)}`, '-H', '127.0.0.1', '-E', t.transport, '-u', user, '-a', PASSWORD], { timeoutMs: 15000 });
      if (r.status !== 0) throw new Error(`sipsak exit ${r.status}: ${(r.stdout + r.stderr).trim().split('\n').pop() ?? ''}`);
      await until(() => inbox.some((m) => m.body === 'hello from sip' && m.from === `sip:${user}@${t.host}`), 3000, () => 'accepted, but not delivered to the simplesip client');
    });
  } finally {
    await bob.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * baresip 1.0.0 against a server of its own that offers MD5 alone (`--digest-algorithms MD5`):
 * its libre abandons a 401/407 that also offers SHA-256, the shared server's default (README,
 * Authentication). The second party is a simplesip client (bob), online before baresip starts.
 */
export function baresipRow(): PeerRow {
  return {
    name: 'baresip',
    version: async () => {
      requireBaresip();
      // `baresip -h` prints "baresip v1.0.0 Copyright ..." first; it exits at once.
      const r = await runPeer('baresip', ['-h'], { timeoutMs: 5000 });
      return /baresip v[\d.]+/.exec(r.stdout + r.stderr)?.[0] ?? 'baresip';
    },
    async run(t) {
      requireBaresip();
      const srv = await startServer({
        listen: ['udp:*:0', 'tcp:*:0', 'tls:*:0'], probeIntervalSeconds: 0, digestAlgorithms: ['MD5'],
        tlsCert: t.certificate.certFile, tlsKey: t.certificate.keyFile,
      });
      const port = srv.port(t.transport);
      for (const user of ['alice', 'bob']) await srv.server.users.add(user, t.host, PASSWORD);
      const target: Target = { ...t, port };
      const aliceAor = `sip:alice@${bracket(t.host)}`;
      const bob = matrixUa('bob', target);
      const inbox: IncomingMessage[] = [];
      bob.on('message', (m) => inbox.push(m));
      let peer: BaresipPeer | undefined;
      const out = all(fail('not reached'));
      const until = async (check: () => boolean | Promise<boolean>, ms: number, what: () => string): Promise<void> => {
        const deadline = Date.now() + ms;
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(what());
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      try {
        await withTimeout(bob.register(), 8000, 'simplesip client REGISTER');
        await withTimeout(bob.setPresence({ basic: 'open' }), 8000, 'simplesip client PUBLISH');
        peer = await BaresipPeer.start('alice', PASSWORD, t.host, port, t.transport, ['bob'], t.transport === 'tls' ? t.certificate.cert : undefined);
        const p = peer;
        out['register+auth'] = registeredOver(srv.server, 'alice', target);
        out['message out'] = await outcome(async () => {
          await p.send('bob', 'matrix hello from baresip');
          await until(() => inbox.some((m) => m.body === 'matrix hello from baresip' && m.from.startsWith(aliceAor)), 5000, () => 'not delivered to the simplesip client');
        });
        out['message in'] = await outcome(async () => {
          const r = await withTimeout(bob.sendMessage(aliceAor, 'matrix hello to baresip'), 8000, 'MESSAGE');
          if (!r.accepted) throw new Error(`MESSAGE answered ${r.status} ${r.reason}`);
          if (!(await p.waitLog(': "matrix hello to baresip"', 5))) throw new Error('accepted, but baresip never showed it');
        });
        out['presence publish'] = await outcome(async () => {
          await withTimeout(bob.subscribe(aliceAor), 8000, 'SUBSCRIBE');
          let last = 'none';
          await until(async () => {
            last = (await bob.buddies()).find((x) => x.buddy === aliceAor)?.basic ?? 'none';
            return last === 'open';
          }, 5000, () => `watcher sees ${last}, not baresip's published open`);
        });
        out['presence watch'] = await outcome(async () => {
          let last = '';
          await until(async () => (last = await p.status('bob')) === 'Online', 5000, () => `baresip shows the simplesip client ${last || 'unknown'}`);
        });
        await peer.quit();
        out['clean unregister'] = bindingsOf(srv.server, 'alice', target) === 0 ? pass() : fail('binding left after /quit');
      } catch (e) {
        out['register+auth'] = fail((e as Error).message.split('\n')[0]);
      } finally {
        await peer?.stop();
        await bob.close();
        await srv.stop();
      }
      return out;
    },
  };
}
