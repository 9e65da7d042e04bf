// `simplesip server` as an operator runs it: start-up lines, OPTIONS answered, clean stop, and a
// clear error for a port in use.
import { spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI_MAIN as cli, outputUntil, spawnCli } from '../helpers/cli-process.js';
import { optionsRequest, RawUdpPeer, sipText } from '../helpers/raw-client.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';
import { runCtl } from './ctl-run.js';

const root = join(import.meta.dirname, '..', '..');

function runCli(args: string[]): ChildProcessWithoutNullStreams {
  return spawnCli(args, root);
}

/** `simplesip ARGS...` run to its end (killed after 15 s): its exit code and what it printed. */
function runToExit(args: string[]): { code: number | null; stdout: string; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8', timeout: 15000, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, out: r.stdout + r.stderr };
}

test('server prints what each socket really is, answers OPTIONS, stops on SIGTERM', async () => {
  const child = runCli(['server', '--store', 'memory', '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0', '--listen', 'tcp:[::1]:0', '--log-level', 'silent']);
  const out = await outputUntil(child, /tcp \[::1\]:\d+ \(IPv6 only\)/);
  assert.match(out, /udp 127\.0\.0\.1:\d+ \(IPv4 only\)/);
  assert.doesNotMatch(out, /udp6|::ffff:/);
  const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const peer = await RawUdpPeer.open();
  try {
    peer.send(optionsRequest(`sip:127.0.0.1:${port}`, `UDP 127.0.0.1:${peer.port}`), port);
    const reply = (await peer.receive(3000))?.toString();
    assert.match(reply ?? '', /^SIP\/2\.0 200 OK\r\n/);
    assert.match(reply ?? '', /\r\nAllow: [^\r]*OPTIONS/);
  } finally {
    peer.close();
  }
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exit, 0);
});

test('--store memory warns at start that what it holds is lost when the server stops', async () => {
  const child = runCli(['server', '--store', 'memory', '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0', '--log-level', 'warn']);
  const out = await outputUntil(child, /udp 127\.0\.0\.1:\d+/);
  assert.match(out, /storage is in memory \(--store memory\): users added with ctl, bindings, presence and stored messages are lost/);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exit, 0);
});

test('SIGHUP (the terminal closed) stops the server as cleanly as SIGTERM: exit 0, the database closed', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'simplesip-hup-'));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const child = runCli(['server', '--data', data, '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0', '--log-level', 'info']);
  await outputUntil(child, /control API on/);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stopping = outputUntil(child, /"signal":"SIGHUP".*stopping/);
  child.kill('SIGHUP');
  assert.equal(await exit, 0);
  assert.match(await stopping, /"signal":"SIGHUP"/);
  // A clean close checkpoints and removes SQLite's write-ahead log.
  assert.equal(existsSync(join(data, 'simplesip.db-wal')), false);
});

test('a port already in use is a start-up error naming the socket', async () => {
  const blocker = createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', resolve));
  const port = blocker.address().port;
  try {
    const child = runCli(['server', '--store', 'memory', '--control', '127.0.0.1:0', '--listen', `udp:127.0.0.1:${port}`, '--log-level', 'silent']);
    const out = await outputUntil(child, /address already in use/);
    assert.match(out, new RegExp(`cannot listen on udp 127\\.0\\.0\\.1:${port}: address already in use`));
    const code = child.exitCode ?? await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
  } finally {
    blocker.close();
  }
});

test('--help lists the three subcommands', () => {
  const { code, stdout } = runToExit(['--help']);
  assert.equal(code, 0);
  for (const sub of ['server', 'client', 'ctl']) assert.match(stdout, new RegExp(`\\n\\s+${sub}\\b`));
});

test('server --help shows each default as it is written on the command line, once', () => {
  const { code, stdout } = runToExit(['server', '--help']);
  assert.equal(code, 0);
  const help = stdout.replace(/\s+/g, ' ');
  assert.match(help, /--control <host:port> control API for simplesip ctl, loopback only \(default: 127\.0\.0\.1:5099\)/);
  assert.match(help, /--digest-algorithms <list> .*?\(default: MD5,SHA-256\)/);
  assert.match(help, /--offline-max-bytes <bytes> .*?480 \(store full\); 0 = no limit \(default: 1073741824\)/);
  assert.doesNotMatch(help, /\{"host"|\["MD5"/, 'no JSON in the help');
  assert.equal(help.match(/\(default: 127\.0\.0\.1:5099\)/g)?.length, 1);
});

test('an unknown listen spec is refused with a message that says what is wrong', () => {
  const { code, out } = runToExit(['server', '--store', 'memory', '--control', '127.0.0.1:0', '--listen', 'udp6:*:5060', '--log-level', 'silent']);
  assert.equal(code, 1);
  assert.match(out, /udp6/);
  assert.match(out, /udp, tcp, tls, ws|udp\|tcp/);
});

test('a bad listen spec stops the command before anything starts: no storage opened, no data directory made', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-badlisten-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const { code, out } = runToExit(['server', '--data', data, '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:5060', '--listen', 'udp:300.1.1.1:5060']);
  assert.equal(code, 1);
  assert.match(out, /"300\.1\.1\.1" is not an IP address/);
  assert.match(out, /--listen/, 'the message names the flag');
  assert.doesNotMatch(out, /storage opened|listening on/);
  assert.equal(existsSync(data), false);
});

test('a --domain that is no host name and an unknown --log-level are refused, saying what they take', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--domain', 'a b'], /--domain takes a host name such as example\.com or an IP address, not "a b"/],
    [['--domain', ''], /--domain takes a host name .* not ""/],
    [['--domain', '-x'], /--domain takes a host name .* not "-x"/],
    [['--log-level', 'loud'], /--log-level takes fatal or error or warn or info or debug or trace or silent, not "loud"/],
  ];
  for (const [flags, reason] of cases) {
    const { code, stdout, out } = runToExit(['server', '--store', 'memory', '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0', ...flags]);
    assert.equal(code, 1, `${flags.join(' ')}: ${out}`);
    assert.match(out, reason);
    assert.doesNotMatch(stdout, /listening on/);
  }
});

test('a --data directory that cannot be made (under /proc, behind a dangling link): exit 1 at once, saying why', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-baddata-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  symlinkSync(join(dir, 'unmounted-disk'), join(dir, 'link'));
  const cases: Array<[string, RegExp]> = [
    ['/proc/simplesip-no-such-dir/data', /cannot create data directory \/proc\/simplesip-no-such-dir\/data: ENOENT/],
    [join(dir, 'link', 'data'), /cannot create data directory .*link\/data: ENOENT: '.*link' is a symbolic link to something that does not exist/],
  ];
  for (const [data, reason] of cases) {
    const { code, out } = runToExit(['server', '--data', data, '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0']);
    assert.equal(code, 1, out);
    assert.match(out, reason);
  }
});

test('a tls listener without a usable certificate and key stops the command before anything starts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-badtls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not a PEM file\n');
  const cases: Array<[string[], RegExp]> = [
    [[], /tls:127\.0\.0\.1:0 needs a certificate: pass --tls-cert FILE and --tls-key FILE/],
    [['--tls-cert', join(dir, 'no-cert.pem'), '--tls-key', join(dir, 'no-key.pem')], /cannot read the TLS certificate file ".*no-cert\.pem"/],
    [['--tls-cert', garbage, '--tls-key', garbage], /tls:127\.0\.0\.1:0: the TLS certificate and key \(--tls-cert, --tls-key\) cannot be used: .*PEM/],
  ];
  for (const [flags, reason] of cases) {
    const { code, out } = runToExit(['server', '--data', data, '--control', '127.0.0.1:0', '--listen', 'tls:127.0.0.1:0', ...flags]);
    assert.equal(code, 1);
    assert.match(out, reason);
    assert.equal(existsSync(data), false, 'no data directory made');
  }
});

// baresip 1.0.0 (libre) gives up on a 401 as soon as one of its challenges is not MD5 ("Register:
// Function not implemented"), so an operator with baresip users needs to offer MD5 alone

test('a --tls-ca file that cannot be read or holds no certificate stops the command before anything starts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-badca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const garbage = join(dir, 'garbage.pem');
  writeFileSync(garbage, 'not a PEM file\n');
  const broken = join(dir, 'broken.pem');
  writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  const cases: Array<[string, RegExp]> = [
    [join(dir, 'missing.pem'), /--tls-ca: cannot read the CA file .*missing\.pem: ENOENT/],
    [garbage, /--tls-ca: the CA file .*garbage\.pem holds no PEM certificate/],
    [broken, /--tls-ca: the CA file .*broken\.pem: certificate 1 cannot be read/],
  ];
  for (const [file, reason] of cases) {
    const { code, out } = runToExit(['server', '--data', data, '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0', '--tls-ca', file]);
    assert.equal(code, 1, out);
    assert.match(out, reason);
    assert.equal(existsSync(data), false, 'no data directory made');
  }
});
// (README, Interoperability: baresip).
test('--digest-algorithms MD5 offers one MD5 challenge; the default offers MD5 then SHA-256; a bad list is refused', async () => {
  const challenges = async (extra: string[]): Promise<string[]> => {
    const child = runCli(['server', '--store', 'memory', '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0', '--log-level', 'silent', ...extra]);
    const out = await outputUntil(child, /udp 127\.0\.0\.1:\d+/);
    const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const peer = await RawUdpPeer.open();
    try {
      peer.send(sipText([
        `REGISTER sip:127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKalg${extra.length};rport`, 'Max-Forwards: 70',
        'To: <sip:alice@127.0.0.1>', 'From: <sip:alice@127.0.0.1>;tag=a1', `Call-ID: alg-${extra.length}`, 'CSeq: 1 REGISTER',
        `Contact: <sip:alice@127.0.0.1:${peer.port}>`, 'Content-Length: 0',
      ]), port);
      const reply = (await peer.receive(3000))?.toString() ?? '';
      assert.match(reply, /^SIP\/2\.0 401 /);
      return [...reply.matchAll(/\r\nWWW-Authenticate: [^\r]*algorithm=([\w-]+)/gi)].map((m) => m[1]);
    } finally {
      peer.close();
      child.kill('SIGTERM');
    }
  };
  assert.deepEqual(await challenges(['--digest-algorithms', 'MD5']), ['MD5']);
  assert.deepEqual(await challenges([]), ['MD5', 'SHA-256']);
  const bad = runCli(['server', '--store', 'memory', '--control', '127.0.0.1:0', '--digest-algorithms', 'MD5,SHA-1']);
  assert.match(await outputUntil(bad, /digest-algorithms/), /--digest-algorithms takes a comma-separated list of MD5, SHA-256/);
});

// RFC 3261 17.1.1.1: a smaller T1 within a closed, private network (the robustness tests in network
// namespaces use it so that Timer F, 64*T1, and with it dead-contact detection, fit in a test).
test('--t1 50 retransmits a relayed MESSAGE at 50 ms, 100 ms, ... and stores it after 32*T1 = 1.6 s', async () => {
  const child = runCli(['server', '--store', 'memory', '--auth', 'off', '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0', '--log-level', 'silent', '--t1', '50']);
  const out = await outputUntil(child, /udp 127\.0\.0\.1:\d+/);
  const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  const bob = await RawUdpPeer.open();
  const alice = await RawUdpPeer.open();
  try {
    // bob registers, then never answers anything again (a vanished UA).
    bob.send(sipText([
      `REGISTER sip:127.0.0.1:${port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${bob.port};branch=z9hG4bKt1reg;rport`, 'Max-Forwards: 70',
      'To: <sip:bob@127.0.0.1>', 'From: <sip:bob@127.0.0.1>;tag=b1', 'Call-ID: t1-reg', 'CSeq: 1 REGISTER',
      `Contact: <sip:bob@127.0.0.1:${bob.port}>`, 'Expires: 300', 'Content-Length: 0',
    ]), port);
    assert.match((await bob.receive(3000))?.toString() ?? '', /^SIP\/2\.0 200 /);
    const sentAt = Date.now();
    alice.send(sipText([
      'MESSAGE sip:bob@127.0.0.1 SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:${alice.port};branch=z9hG4bKt1msg;rport`, 'Max-Forwards: 70',
      'To: <sip:bob@127.0.0.1>', 'From: <sip:alice@127.0.0.1>;tag=a1', 'Call-ID: t1-msg', 'CSeq: 1 MESSAGE',
      'Content-Type: text/plain', 'Content-Length: 5',
    ], 'hello'), port);
    // Timer E: 50, 100, 200, 400 ms after the first copy; with the default T1 only one retransmission
    // (at 500 ms) would arrive within the first second.
    const copies: number[] = [];
    for (;;) {
      const d = await bob.receive(1000 - (Date.now() - sentAt));
      if (d === undefined) break;
      if (/^MESSAGE /.test(d.toString())) copies.push(Date.now() - sentAt);
    }
    assert.ok(copies.length >= 4, `MESSAGE copies within 1 s at ${copies.join(', ')} ms`);
    let final = '';
    while (!/^SIP\/2\.0 [2-6]\d\d /.test(final)) {
      final = (await alice.receive(8000 - (Date.now() - sentAt)))?.toString() ?? 'nothing';
      if (final === 'nothing') break;
    }
    const took = Date.now() - sentAt;
    // Stored and answered 202 after 32*T1, before the sender's own Timer F (README, MESSAGE and the
    // offline store); with the default T1 that would be 16 s.
    assert.match(final, /^SIP\/2\.0 202 /, 'the unanswered MESSAGE is stored offline (202)');
    assert.ok(took >= 1500 && took < 3000, `final answer after ${took} ms, 32*T1 = 1600 ms`);
  } finally {
    bob.close();
    alice.close();
    child.kill('SIGTERM');
  }
});

// RFC 3261 19.1.4 compares hosts as addresses (RFC 5954 4.1): a --domain written in another spelling
// of its address, or IPv4-mapped, is served as that address. It was accepted and never served:
// REGISTERs got "403 Forbidden (relaying to [2001:db8::1] is not allowed)", and `ctl user add` warned
// that the server should be started with the --domain it had been started with.
test('--domain in any spelling of an address (or IPv4-mapped) is served, on the command line and in a config file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-domains-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'simplesip.yaml');
  writeFileSync(file, 'domain:\n  - "[2001:db8:0::1]"\n  - "::FFFF:192.0.2.7"\n');
  const common = ['server', '--store', 'memory', '--control', '127.0.0.1:0', '--listen', 'udp:127.0.0.1:0', '--log-level', 'silent'];
  for (const [how, args] of [
    ['flags', ['--domain', '2001:DB8:0:0::1', '--domain', '::ffff:192.0.2.7']],
    ['config file', ['--config', file]],
  ] as Array<[string, string[]]>) {
    const child = runCli([...common, ...args]);
    try {
      const out = await outputUntil(child, /control API on \S+\n/);
      const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const control = /control API on (\S+)\n/.exec(out)?.[1] ?? '';
      for (const user of ['zz@[2001:db8::1]', 'yy@192.0.2.7']) {
        const added = await runCtl(['user', 'add', user, 'pw', '--control', control]);
        assert.equal(added.code, 0, `${how}: ${added.stderr}`);
        assert.equal(added.stderr, '', `${how}: ${user} is in a served domain, so no warning`);
      }
      const ua = await SipEndpoint.open('udp', '127.0.0.1', port);
      try {
        for (const [user, domain] of [['zz', '[2001:db8::1]'], ['zz', '[2001:DB8::1]'], ['yy', '192.0.2.7'], ['yy', '[::ffff:192.0.2.7]']]) {
          const r = await ua.register(user, 'pw', { domain });
          assert.equal(`${r.status} ${r.reason}`, '200 OK', `${how}: REGISTER sip:${domain}`);
        }
      } finally {
        ua.close();
      }
    } finally {
      const exit = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exit;
    }
  }
});
