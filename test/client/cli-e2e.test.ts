// `simplesip client` against simplesip's server: digest registration and a clean exit by every way
// out (SIGINT, SIGTERM, SIGHUP, /quit): the location service keeps no binding. Scripts' exit codes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../helpers/server.js';
import { RawUdpPeer } from '../helpers/raw-client.js';
import { startClient } from './cli-run.js';
import { until } from './scripted-peer.js';
import { UdpNat } from './udp-nat.js';

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

  test('no password at all: exit 4, saying that none was given (not that it was wrong)', async () => {
    const c = startClient(['register', '--user', AOR, '--server', server, '--local-ports', '0']);
    c.child.stdin.end();
    assert.equal(await c.exited, 4);
    assert.match(c.stderr(), /REGISTER: 401 Unauthorized: the server asks for a password and none was given/);
  });

  test('send with no password at all: exit 4, saying that none was given (not that it was wrong)', async () => {
    const c = startClient(['send', '--to', 'bob', '--user', AOR, '--server', server, '--local-ports', '0', 'hello']);
    c.child.stdin.end();
    assert.equal(await c.exited, 4, c.stderr());
    assert.match(c.stderr(), /MESSAGE: 40[17] [^:]+: the server asks for a password and none was given/);
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

  test('a --state-dir that cannot be made (under /proc): usage error, exit 2 at once, saying which directory', async () => {
    const c = startClient(['register', '--user', AOR, '--server', 'sip:127.0.0.1:9', '--state-dir', '/proc/simplesip-no-such-dir', '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'x' });
    assert.equal(await c.exited, 2, c.stderr());
    assert.match(c.stderr(), /cannot keep the instance id in the state directory \/proc\/simplesip-no-such-dir: ENOENT/);
  });

  test('a signal while the first REGISTER crosses a slow link: the binding it made is removed, exit 0', async () => {
    // Every datagram toward the client is held 700 ms: the server has bound alice before the client
    // knows it, which is when the signal comes.
    const relay = await UdpNat.start({ address: '127.0.0.1', port: srv.port('udp') }, { delayToClientMs: 700 });
    try {
      const c = startClient(['register', '--json', '--user', AOR, '--server', `sip:127.0.0.1:${relay.port}`, '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'alice-secret' });
      await until(() => bindings() === 1, 15_000, 'the server bound the REGISTER');
      assert.doesNotMatch(c.stdout(), /"event":"registered"/);
      c.child.kill('SIGINT');
      assert.equal(await c.exited, 0, c.stderr());
      assert.equal(bindings(), 0, 'the binding of the REGISTER in flight was left behind');
    } finally {
      relay.close();
    }
  });

  test('the reader of --json output goes away (watch | head -1): unregistered before the exit, no crash', async () => {
    const c = startClient(['watch', '--json', '--user', AOR, '--server', server, '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'alice-secret' });
    const { contact } = JSON.parse(await c.line(/"event":"registered"/)) as { contact: string };
    c.child.stdout.destroy();
    // Something to print: a MESSAGE straight to the client's Contact.
    const peer = await RawUdpPeer.open();
    try {
      const port = Number(/:(\d+)$/.exec(contact)?.[1]);
      peer.send(rawMessage(contact, peer.port), port);
      assert.equal(await c.exited, 0, c.stderr());
      assert.doesNotMatch(c.stderr(), /EPIPE|Unhandled/);
      assert.equal(bindings(), 0);
    } finally {
      peer.close();
    }
  });

  test('an un-REGISTER the server refuses (password changed meanwhile): its error, exit 4, not success', async () => {
    const c = startClient(['register', '--json', '--user', AOR, '--server', server, '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'alice-secret' });
    await c.line(/"event":"registered"/);
    await srv.server.users.setPassword('alice', 'example.com', 'changed');
    try {
      c.child.kill('SIGTERM');
      assert.equal(await c.exited, 4, c.stderr());
      assert.match(c.stderr(), /un-REGISTER: 401 .*the binding stays until it expires/);
      assert.doesNotMatch(c.stdout(), /"event":"unregistered"/);
      assert.equal(bindings(), 1);
    } finally {
      await srv.server.users.setPassword('alice', 'example.com', 'alice-secret');
      await srv.server.location.remove(AOR);
    }
  });

  test('usage errors exit 2 before anything is sent: --expires 0, an unknown flag, a --to that is no SIP URI, a bad --content-type, a --display-name with CR/LF', async () => {
    const account = ['--user', AOR, '--server', server, '--local-ports', '0'];
    const cases: Array<[string[], RegExp]> = [
      [['register', ...account, '--expires', '0'], /--expires 0: expected a whole number of at least 1/],
      [['register', ...account, '--bogus'], /unknown option '--bogus'/],
      [['send', ...account, '--to', 'tel:+123', 'hi'], /"tel:\+123" is not a sip: or sips: URI/],
      [['send', ...account, '--to', 'bob smith', 'hi'], /"sip:bob smith@example\.com" is not a SIP URI/],
      [['send', ...account, '--to', 'bob', '--content-type', 'text', 'hi'], /content type "text" is not a MIME type/],
      [['send', ...account, '--to', 'bob', '--content-type', 'text/plain;x="a\r\nb"', 'hi'], /content type .* has a control character/],
      [['register', ...account, '--display-name', 'Al\r\nX-Evil: 1'], /displayName .* has a control character/],
    ];
    for (const [args, message] of cases) {
      const c = startClient(args, { SIMPLESIP_PASSWORD: 'alice-secret' });
      assert.equal(await c.exited, 2, `${args.join(' ')}: ${c.stderr()}`);
      assert.match(c.stderr(), message);
    }
    assert.equal(bindings(), 0);
  });
});

test('register over TCP: the server goes away, and the client stays to register again instead of ending quietly', async () => {
  const srv = await startServer({ listen: ['tcp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0 });
  let stopped = false;
  try {
    await srv.server.users.add('alice', 'example.com', 'alice-secret');
    const c = startClient(['register', '--json', '--user', AOR, '--server', `sip:127.0.0.1:${srv.port('tcp')};transport=tcp`, '--local-ports', '0'], { SIMPLESIP_PASSWORD: 'alice-secret' });
    await c.line(/"event":"registered"/);
    await srv.stop();
    stopped = true;
    await c.line(/"event":"error","code":"unreachable".*registering again/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(c.child.exitCode, null, `the client ended: ${c.stderr()}`);
    c.child.kill('SIGTERM');
    // Its binding may come back with the server's storage: the exit says the un-REGISTER failed.
    assert.equal(await c.exited, 3, c.stderr());
    assert.match(c.stderr(), /un-REGISTER: .*the binding stays until it expires/);
  } finally {
    if (!stopped) await srv.stop();
  }
});

/** A MESSAGE as a buddy's device would send it straight to `contact`. */
function rawMessage(contact: string, fromPort: number): string {
  return [
    `MESSAGE ${contact} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${fromPort};branch=z9hG4bK-${Math.random().toString(36).slice(2)};rport`,
    'Max-Forwards: 70',
    'From: <sip:bob@example.com>;tag=b1',
    `To: <${AOR}>`,
    `Call-ID: ${Math.random().toString(36).slice(2)}@test`,
    'CSeq: 1 MESSAGE',
    'Content-Type: text/plain',
    'Content-Length: 5',
    '',
    'hello',
  ].join('\r\n');
}

describe('simplesip client send: an answered 503 is a refusal, not an unreachable server', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer({ listen: ['udp:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0, auth: false,
      // One MESSAGE per 100 s (the flag takes whole numbers; the config any rate): the second CLI run
      // is refused however long the two take to start on a loaded machine.
      messageRate: 0.01, messageBurst: 1 });
    await srv.server.users.add('bob', 'example.com', 'bob-secret');
  });
  after(() => srv.stop());

  test('the rate limit\'s 503 exits 1 with its reason (exit 3 is for no answer at all)', async () => {
    const send = (text: string): ReturnType<typeof startClient> =>
      startClient(['send', '--to', 'bob', '--user', AOR, '--server', `sip:127.0.0.1:${srv.port('udp')}`, '--local-ports', '0', text]);
    const first = send('one');
    assert.equal(await first.exited, 0, first.stderr());
    const second = send('two');
    assert.equal(await second.exited, 1, second.stderr());
    assert.match(second.stderr(), /MESSAGE: 503 Service Unavailable \(too many messages from this sender, slow down\)/);
  });
});
