// The SIPp row of the peer matrix. One SIPp user registers (reg_recv.xml) and answers MESSAGEs out of
// call (msg_ooc.xml) while it sends one (msg_send.xml); then it PUBLISHes a PIDF that a simplesip
// client watches (publish_presence.xml), and SUBSCRIBEs to that client's presence
// (subscribe_presence.xml). Every SIPp run must exit 0 and the other side must see the result.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, UserAgent } from '../../../src/index.js';
import type { SipServer } from '../../../src/server/sip-server.js';
import { freePort } from '../../helpers/free-port.js';
import { requirePeer, SIPP } from '../../helpers/peers.js';
import { runPeer, type PeerRun } from '../../helpers/run-peer.js';
import { fail, pass, unsupported, all, type Outcome, type PeerRow, type Target } from './cells.js';
import { bindingsOf, bracket, hostPort, matrixUa, outcome, PASSWORD, registeredOver, until, withTimeout } from './common.js';

const scenarios = join(import.meta.dirname, '..', 'scenarios');

/** Whether this SIPp build has TLS: the Debian build refuses `-t l1` with this sentence. */
async function sippTlsMissing(sipp: string): Promise<string | undefined> {
  const r = await runPeer(sipp, ['127.0.0.1:9', '-sn', 'uac', '-t', 'l1', '-m', '1', '-nostdin', '-timeout', '1s', '-i', '127.0.0.1', '-p', String(await freePort('127.0.0.1'))], { timeoutMs: 5000 });
  return /must compile SIPp with OpenSSL/.exec(r.stdout + r.stderr)?.[0];
}

const failure = (what: string, r: PeerRun): Error => {
  const last = (r.stdout + r.stderr).split('\n').filter((l) => /error|unexpected|failed|timeout/i.test(l)).pop() ?? '';
  return new Error(`${what}: sipp exit ${r.status} ${last.trim()}`);
};

export function sippRow(server: SipServer): PeerRow {
  return {
    name: 'SIPp',
    version: async () => (/SIPp v[\d.]+/.exec((await runPeer(requirePeer(SIPP), ['-v'])).stdout)?.[0] ?? 'SIPp'),
    async run(t) {
      const sipp = requirePeer(SIPP);
      if (t.transport === 'tls') {
        const missing = await sippTlsMissing(sipp);
        return all(missing ? unsupported(`this build has no TLS: -t l1 says "${missing}"`) : fail('SIPp has TLS here: cell not written'));
      }
      const local = t.family === 6 ? '::1' : '127.0.0.1';
      const user = `sipp${t.transport}${t.family}`;
      const userAor = `sip:${user}@${bracket(t.host)}`;
      await server.users.add(user, t.host, PASSWORD).catch(() => undefined);
      const dir = mkdtempSync(join(tmpdir(), 'matrix-sipp-'));
      // Arguments every SIPp run shares (MATRIX_KEEP=1 keeps DIR with SIPp's message traces).
      // -auth_uri is the Request-URI without "sip:": SIPp writes an IPv6 digest uri without
      // brackets otherwise (peers README).
      const run = async (scenario: string, service: string, authUri: string, extra: string[], timeoutMs = 20000): Promise<PeerRun> => runPeer(sipp, [
        hostPort(t), '-sf', join(scenarios, scenario), '-s', service, '-au', user, '-ap', PASSWORD, '-auth_uri', authUri,
        '-m', '1', '-i', local, '-p', String(await freePort(local)), '-t', t.transport === 'udp' ? 'u1' : 't1',
        '-nostdin', '-timeout', '10s', '-timeout_error', ...(process.env.MATRIX_KEEP ? ['-trace_msg', '-trace_err'] : []), ...extra,
      ], { cwd: dir, timeoutMs });
      // The other party: a simplesip client, registered and open with a note SIPp must see.
      const bob: UserAgent = matrixUa('bob', t);
      const inbox: IncomingMessage[] = [];
      bob.on('message', (m) => inbox.push(m));
      const out = all(fail('not reached'));
      try {
        await withTimeout(bob.register(), 8000, 'simplesip client REGISTER');
        await withTimeout(bob.setPresence({ basic: 'open', note: 'matrix bob' }), 8000, 'simplesip client PUBLISH');
        const regLog = join(dir, 'reg.log');
        const registration = run('reg_recv.xml', user, hostPort(t), ['-oocsf', join(scenarios, 'msg_ooc.xml'), '-d', '6000', '-trace_logs', '-log_file', regLog]);
        const registered = await outcome(() => until(() => bindingsOf(server, user, t) === 1, 5000, () => 'no binding within 5 s'));
        out['register+auth'] = registered.kind === 'pass' ? registeredOver(server, user, t) : registered;
        const messageIn = registered.kind === 'pass'
          ? await outcome(async () => {
            const r = await withTimeout(bob.sendMessage(userAor, 'matrix hello to sipp'), 8000, 'MESSAGE');
            if (!r.accepted) throw new Error(`MESSAGE answered ${r.status} ${r.reason}`);
          })
          : fail('not registered');
        out['message out'] = await outcome(async () => {
          // SIPp ends [body] with CRLF.
          const r = await run('msg_send.xml', 'bob', `bob@${hostPort(t)}`, ['-key', 'from', user, '-key', 'body', 'matrix hello from sipp']);
          if (r.status !== 0) throw failure('MESSAGE', r);
          await until(() => inbox.some((m) => m.body.trim() === 'matrix hello from sipp' && m.from === userAor), 3000, () => 'accepted, but not delivered to the simplesip client');
        });
        // The composition shows a publication only while its user has a binding (composition.ts), and
        // the un-REGISTER takes it away: SIPp publishes, holds 1.5 s and removes it within the 6 s
        // that reg_recv.xml stays registered.
        out['presence publish'] = await outcome(async () => {
          await withTimeout(bob.subscribe(userAor), 8000, 'SUBSCRIBE');
          const publishing = run('publish_presence.xml', user, `${user}@${bracket(t.host)}`, ['-key', 'note', 'matrix sipp', '-d', '1500']);
          let last = 'none';
          const seen = until(async () => {
            const b = (await bob.buddies()).find((x) => x.buddy === userAor);
            last = `${b?.basic ?? 'none'} ${b?.note ?? ''}`.trim();
            return b?.basic === 'open' && b.note === 'matrix sipp';
          }, 1400, () => `watcher sees ${last}, not SIPp's published open/"matrix sipp"`);
          const [r] = await Promise.all([publishing, seen]);
          if (r.status !== 0) throw failure('PUBLISH', r);
        });
        const reg = await registration;
        // SIPp writes its log when it exits: the MESSAGE it answered shows there.
        const logged = (() => { try { return readFileSync(regLog, 'utf8'); } catch { return ''; } })();
        out['message in'] = messageIn.kind !== 'pass' ? messageIn
          : logged.includes('body=matrix hello to sipp') ? pass() : fail('accepted, but SIPp never logged it');
        out['clean unregister'] = reg.status !== 0 ? outcomeOf(failure('REGISTER/un-REGISTER', reg))
          : bindingsOf(server, user, t) === 0 ? pass() : fail('binding left');
        out['presence watch'] = await outcome(async () => {
          const log = join(dir, 'sub.log');
          const r = await run('subscribe_presence.xml', user, `bob@${bracket(t.host)}`, ['-key', 'buddy', 'bob', '-trace_logs', '-log_file', log]);
          if (r.status !== 0) throw failure('SUBSCRIBE/NOTIFY', r);
          if (!/GOT-NOTIFY body=[\s\S]*<note[^>]*>matrix bob<\/note>/.test(readFileSync(log, 'utf8'))) throw new Error('NOTIFY without the published note');
        });
      } catch (e) {
        out['register+auth'] = fail((e as Error).message.split('\n')[0]);
      } finally {
        await bob.close();
        if (!process.env.MATRIX_KEEP) rmSync(dir, { recursive: true, force: true });
      }
      return out;
    },
  };
}

const outcomeOf = (e: Error): Outcome => fail(e.message);
