// The client against a server no one here wrote: Kamailio (registrar + MESSAGE relay, digest auth
// on REGISTER), on a free loopback port. Two simplesip clients register, message each other
// through it, and a SIGTERM'd CLI client leaves no binding in `kamcmd ul.dump`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from '../../src/index.js';
import { freePort } from '../helpers/free-port.js';
import { newUa } from '../client/helpers.js';
import { startClient } from '../client/cli-run.js';
import { until } from '../client/scripted-peer.js';
import { Kamailio, MODULES } from './lib/kamailio.js';

function config(port: number, ctl: string): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
children=1
listen=udp:127.0.0.1:${port}
auto_aliases=no
alias="127.0.0.1:${port}"
alias="127.0.0.1"
disable_tcp=yes
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
modparam("ctl", "binrpc", "unix:${ctl}")
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 30)
modparam("registrar", "max_expires", 3600)
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  remove_hf("Route");
  if (is_method("REGISTER")) {
    if (!pv_www_authenticate("$td", "secret", "0")) { www_challenge("$td", "1"); exit; }
    save("location");
    exit;
  }
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

describe('client against Kamailio', () => {
  let kamailio: Kamailio;
  let server: string;
  const dump = (): Promise<string> => kamailio.dump();

  before(async () => {
    const port = await freePort();
    kamailio = await Kamailio.start((_dir, ctl) => config(port, ctl));
    server = `sip:127.0.0.1:${port}`;
  });
  after(() => kamailio.stop());

  test('digest REGISTER, MESSAGE between two simplesip clients through Kamailio, clean close', async () => {
    const alice = newUa(server, { aor: 'sip:alice@127.0.0.1', password: 'secret', closeTimeoutMs: 2000 });
    const bob = newUa(server, { aor: 'sip:bob@127.0.0.1', password: 'secret', closeTimeoutMs: 2000 });
    try {
      await alice.register();
      await bob.register();
      assert.match(await dump(), /AoR: alice/);
      const got: IncomingMessage[] = [];
      bob.on('message', (m) => got.push(m));
      const r = await alice.sendMessage('sip:bob@127.0.0.1', 'hello bob via kamailio');
      assert.equal(r.status, 200, r.reason);
      await until(() => got.length === 1, 3000, 'bob receives the message');
      assert.equal(got[0].body, 'hello bob via kamailio');
      assert.equal(got[0].from, 'sip:alice@127.0.0.1');
      const back = await bob.sendMessage('alice', 'hi alice');
      assert.equal(back.status, 200);
    } finally {
      await alice.close();
      await bob.close();
    }
    const left = await dump();
    assert.doesNotMatch(left, /AoR: (alice|bob)\b/, left);
  });

  test('wrong password is reported as auth-failed', async () => {
    const ua = newUa(server, { aor: 'sip:carol@127.0.0.1', password: 'wrong' });
    await assert.rejects(ua.register(), { code: 'auth-failed' });
    await ua.close();
  });

  test('CLI register, SIGTERM: the binding is gone from ul.dump', async () => {
    const c = startClient(['register', '--json', '--user', 'sip:dave@127.0.0.1', '--server', server, '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'secret' });
    await c.line(/"event":"registered"/);
    assert.match(await dump(), /AoR: dave/);
    c.child.kill('SIGTERM');
    assert.equal(await c.exited, 0, c.stderr());
    assert.doesNotMatch(await dump(), /AoR: dave/);
  });
});
