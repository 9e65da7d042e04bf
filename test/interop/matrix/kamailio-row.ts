// The "simplesip client vs Kamailio" row: the server is Debian's Kamailio 5.6 (registrar with
// digest, MESSAGE relay, presence + presence_xml on db_text, TLS with the runner's certificate),
// and two simplesip clients (alice, bob) are the peers under test.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, UserAgent } from '../../../src/index.js';
import { freePort } from '../../helpers/free-port.js';
import { requirePeer } from '../../helpers/peers.js';
import { runPeer } from '../../helpers/run-peer.js';
import { Kamailio, KAMAILIO_PRESENCE, KAMAILIO_TLS, MODULES } from '../lib/kamailio.js';
import { all, fail, type Column, type Outcome, type PeerRow, type Target } from './cells.js';
import { bracket, matrixUa, outcome, PASSWORD, until, withTimeout } from './common.js';

interface Ports { sip: number; tls: number }

/** One config for every transport and family: each user's password is PASSWORD. */
function config(ports: Ports, dir: string, ctl: string): string {
  const hosts = ['127.0.0.1', '[::1]'];
  const listen = hosts.flatMap((h) => [`listen=udp:${h}:${ports.sip}`, `listen=tcp:${h}:${ports.sip}`, `listen=tls:${h}:${ports.tls}`]);
  const aliases = hosts.flatMap((h) => [`alias="${h}"`, `alias="${h}:${ports.sip}"`, `alias="${h}:${ports.tls}"`]);
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=2
tcp_children=2
enable_tls=yes
${listen.join('\n')}
auto_aliases=no
${aliases.join('\n')}
dns=no
rev_dns=no
mpath="${MODULES}"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "ctl.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "db_text.so"
loadmodule "tls.so"
loadmodule "presence.so"
loadmodule "presence_xml.so"
modparam("ctl", "binrpc", "unix:${ctl}")
modparam("tls", "config", "${dir}/tls.cfg")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 30)
modparam("registrar", "max_expires", 3600)
modparam("presence", "db_url", "text://${dir}/dbtext")
modparam("presence", "subs_db_mode", 0)
modparam("presence_xml", "db_url", "text://${dir}/dbtext")
modparam("presence_xml", "force_active", 1)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  remove_hf("Route");
  if (is_method("REGISTER")) {
    if (!pv_www_authenticate("$td", "${PASSWORD}", "0")) { www_challenge("$td", "1"); exit; }
    save("location");
    exit;
  }
  if (is_method("PUBLISH")) { t_newtran(); handle_publish(); t_release(); exit; }
  if (is_method("SUBSCRIBE")) { t_newtran(); handle_subscribe(); t_release(); exit; }
  if (is_method("MESSAGE")) {
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    t_relay();
    exit;
  }
  if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}

/** Kamailio's tls module config: it presents the runner's throw-away certificate. */
function tlsConfig(t: Target): string {
  const profile = (side: string): string => `[${side}:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = ${t.certificate.keyFile}
certificate = ${t.certificate.certFile}
`;
  return `${profile('server')}\n${profile('client')}`;
}

export function kamailioRow(): PeerRow {
  return {
    name: 'simplesip client vs Kamailio',
    version: async () => {
      const r = await runPeer('kamailio', ['-v'], { timeoutMs: 5000 }).catch(() => undefined);
      return /kamailio [\d.]+/i.exec(r?.stdout ?? '')?.[0] ?? 'kamailio';
    },
    async run(t) {
      requirePeer(KAMAILIO_PRESENCE);
      requirePeer(KAMAILIO_TLS);
      const host = t.family === 6 ? '::1' : '127.0.0.1';
      const ports: Ports = { sip: await freePort(host), tls: await freePort(host) };
      const kamailio = await Kamailio.start((dir, ctl) => {
        writeFileSync(join(dir, 'tls.cfg'), tlsConfig(t));
        return config(ports, dir, ctl);
      });
      const target: Target = { ...t, port: t.transport === 'tls' ? ports.tls : ports.sip };
      if (t.transport === 'tls') await kamailio.tlsReady(host, ports.tls).catch(async (e: unknown) => { await kamailio.stop(); throw e; });
      const alice = matrixUa('alice', target);
      const bob = matrixUa('bob', target);
      const out = all(fail('not reached'));
      const inbox = { alice: [] as IncomingMessage[], bob: [] as IncomingMessage[] };
      alice.on('message', (m) => inbox.alice.push(m));
      bob.on('message', (m) => inbox.bob.push(m));
      const aor = (user: string): string => `sip:${user}@${bracket(t.host)}`;
      try {
        out['register+auth'] = await outcome(async () => {
          await withTimeout(Promise.all([alice.register(), bob.register()]), 8000, 'REGISTER');
          // usrloc without use_domain keys AoRs by user; Socket is where the REGISTER came in.
          const socket = /AoR: alice\n[\s\S]*?Socket: (\S+)/.exec(await kamailio.dump())?.[1];
          const expected = `${t.transport}:${bracket(t.host)}:${target.port}`;
          if (socket !== expected) throw new Error(`ul.dump shows alice on ${socket ?? 'no socket'}, not ${expected}`);
        });
        const deliver = async (from: UserAgent, to: string, box: IncomingMessage[], text: string): Promise<void> => {
          const r = await withTimeout(from.sendMessage(aor(to), text), 8000, 'MESSAGE');
          if (!r.accepted) throw new Error(`MESSAGE answered ${r.status} ${r.reason}`);
          await until(() => box.some((m) => m.body === text), 3000, () => 'accepted, but never delivered');
        };
        out['message out'] = await outcome(() => deliver(alice, 'bob', inbox.bob, 'matrix hello via kamailio'));
        out['message in'] = await outcome(() => deliver(bob, 'alice', inbox.alice, 'matrix hello back via kamailio'));
        out['presence publish'] = await outcome(() => withTimeout(alice.setPresence({ basic: 'open', note: 'matrix kamailio' }), 8000, 'PUBLISH'));
        out['presence watch'] = await outcome(async () => {
          await withTimeout(bob.subscribe(aor('alice')), 8000, 'SUBSCRIBE');
          let last = 'none';
          await until(async () => {
            const b = (await bob.buddies()).find((x) => x.buddy.includes('alice'));
            last = `${b?.basic ?? 'none'} ${b?.note ?? ''} ${b?.reason ?? ''}`.trim();
            return b?.basic === 'open' && b.note === 'matrix kamailio';
          }, 5000, () => `watcher sees ${last}`);
        });
        await alice.close();
        await bob.close();
        out['clean unregister'] = await outcome(async () => {
          if (/AoR: (alice|bob)\n/.test(await kamailio.dump())) throw new Error('binding left in ul.dump after close()');
        });
      } finally {
        await alice.close();
        await bob.close();
        await kamailio.stop();
      }
      return out as Record<Column, Outcome>;
    },
  };
}
