// The finch (libpurple SIMPLE) row: finch against the runner's server, a simplesip client (bob) as
// the second party on the same transport. Two finch sessions: the first has no buddies and covers
// registration, chat both ways, its own publication and its quit; the second watches bob.
//
// Why two: over TCP libpurple handles one SIP message per read() (peers README). At a login with
// buddies, the 2xx of its SUBSCRIBE and the first NOTIFY often arrive in one read; the NOTIFY then
// waits in its buffer until more data comes, and finch stays one message behind: a MESSAGE to it
// shows only when the next message arrives. Without buddies nothing reaches it back to back, so
// chat is judged on its own; the watch cell names the bug when it is what failed.
import type { IncomingMessage } from '../../../src/index.js';
import type { SipServer } from '../../../src/server/sip-server.js';
import { runPeer } from '../../helpers/run-peer.js';
import { FinchPeer, requireFinch } from '../lib/finch.js';
import { all, fail, pass, unsupported, type PeerRow } from './cells.js';
import { bindingsOf, matrixUa, outcome, PASSWORD, registeredOver, until, withTimeout } from './common.js';

export function finchRow(server: SipServer): PeerRow {
  return {
    name: 'finch (libpurple SIMPLE)',
    version: async () => (await runPeer('finch', ['--version'])).stdout.trim() || 'finch',
    async run(t) {
      if (t.family === 6) return all(unsupported('no IPv6: UDP sendto with sizeof(sockaddr_in), TCP writes sip:::1 (peers README)'));
      if (t.transport === 'tls') return all(unsupported('prpl-simple has only UDP and TCP (account setting "udp")'));
      const transport = t.transport;
      requireFinch();
      await server.users.add('finchuser', t.host, PASSWORD).catch(() => undefined);
      const finchAor = `sip:finchuser@${t.host}`;
      const bobAor = `sip:bob@${t.host}`;
      const bob = matrixUa('bob', t);
      const inbox: IncomingMessage[] = [];
      bob.on('message', (m) => inbox.push(m));
      let finch: FinchPeer | undefined;
      const out = all(fail('not reached'));
      try {
        await withTimeout(bob.register(), 8000, 'simplesip client REGISTER');
        finch = await FinchPeer.start('finchuser', PASSWORD, t.port, transport, []);
        const f = finch;
        out['register+auth'] = registeredOver(server, 'finchuser', t);
        out['message out'] = await outcome(async () => {
          const r = await f.send(bobAor, 'matrix hello from finch');
          if (r.status !== 0) throw new Error(`purple-remote exit ${r.status}`);
          await until(() => inbox.some((m) => m.body === 'matrix hello from finch' && m.from === finchAor), 5000, () => 'not delivered to the simplesip client');
          // finch takes the 200 for it before the next cell's MESSAGE reaches it, as a person typing
          // a reply would let it.
          await until(() => /received CSeq \d+ MESSAGE vs known transaction/.test(f.debugLog()), 3000, () => 'finch never took the 200 for its MESSAGE');
        });
        out['message in'] = await outcome(async () => {
          const r = await withTimeout(bob.sendMessage(finchAor, 'matrix hello to finch'), 8000, 'MESSAGE');
          if (!r.accepted) throw new Error(`MESSAGE answered ${r.status} ${r.reason}`);
          if (!(await f.waitIm('matrix hello to finch', 5))) throw new Error('accepted, but finch never showed it');
        });
        // finch PUBLISHes <basic>open</basic><note>available</note> at login: the watcher sees its note.
        out['presence publish'] = await outcome(async () => {
          await withTimeout(bob.subscribe(finchAor), 8000, 'SUBSCRIBE');
          let last = 'none';
          await until(async () => {
            const b = (await bob.buddies()).find((x) => x.buddy === finchAor);
            last = `${b?.basic ?? 'none'} ${b?.note ?? ''}`.trim();
            return b?.basic === 'open' && b.note === 'available';
          }, 5000, () => `watcher sees ${last}, not finch's published open/available`);
        });
        await finch.quit();
        await new Promise((r) => setTimeout(r, 300));
        out['clean unregister'] = bindingsOf(server, 'finchuser', t) === 0 ? pass() : fail('binding left after quit');
        await finch.stop();
        out['presence watch'] = await outcome(async () => {
          await withTimeout(bob.setPresence({ basic: 'open', note: 'matrix bob' }), 8000, 'simplesip client PUBLISH');
          const watcher = await FinchPeer.start('finchuser', PASSWORD, t.port, transport, [bobAor]);
          finch = watcher;
          let last = '';
          try {
            await until(async () => (last = await watcher.buddy(bobAor)) === 'online', 5000, () => '');
          } catch {
            // The server accepted the subscription (and so sent its NOTIFY) but finch never read one:
            // libpurple's buffer holds it (one SIP message per read()) although the transport paces
            // its writes to finch (src/transport/one-message-per-read.ts). Name that case: a failure.
            const accepted = server.controlContext().presence?.watchers(bobAor).some((w) => w.watcher === finchAor && w.state === 'active') ?? false;
            const stuck = transport === 'tcp' && accepted && !/\nNOTIFY sip:/.test(watcher.debugLog());
            throw new Error(stuck
              ? 'finch never read the NOTIFY the server sent (libpurple handles one SIP message per read; pacing did not prevent it)'
              : `finch shows the simplesip client ${last || 'unknown'}`);
          }
        });
      } catch (e) {
        out['register+auth'] = fail((e as Error).message.split('\n')[0]);
      } finally {
        await finch?.stop();
        await bob.close();
      }
      return out;
    },
  };
}
