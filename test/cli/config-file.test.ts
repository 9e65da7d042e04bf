// `simplesip server --config FILE` and `simplesip ctl --config FILE`: one YAML file for both, keys
// named as the server's flags, flags on the command line winning, errors naming the key.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outputUntil, spawnCli } from '../helpers/cli-process.js';
import { RawUdpPeer, sipText } from '../helpers/raw-client.js';
import { runCtl } from './ctl-run.js';

const root = join(import.meta.dirname, '..', '..');

async function freeTcpPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function workDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'simplesip-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `simplesip server ARGS...` from the repository root, once it has printed its control address. */
async function startServer(t: { after(fn: () => Promise<void>): void }, args: string[]): Promise<string> {
  const child = spawnCli(['server', ...args], root);
  t.after(() => stop(child));
  const out = await outputUntil(child, /control API on \S+\n/);
  assert.match(out, /control API on /, out);
  return out;
}

async function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A REGISTER of alice with `contacts` contacts (no auth: the file turns it off). */
function register(port: number, peer: RawUdpPeer, contacts: number): string {
  const lines = [
    `REGISTER sip:127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    'Max-Forwards: 70',
    'To: <sip:alice@127.0.0.1>',
    'From: <sip:alice@127.0.0.1>;tag=cf1',
    `Call-ID: ${Math.random().toString(36).slice(2)}@config-test`,
    'CSeq: 1 REGISTER',
  ];
  for (let i = 0; i < contacts; i++) lines.push(`Contact: <sip:alice@127.0.0.1:${peer.port + i}>`);
  lines.push('Expires: 300', 'Content-Length: 0');
  return sipText(lines);
}

async function statusOf(port: number, contacts: number): Promise<string> {
  const peer = await RawUdpPeer.open();
  try {
    peer.send(register(port, peer, contacts), port);
    return /^SIP\/2\.0 (\d{3} [^\r]*)/.exec((await peer.receive(3000))?.toString('latin1') ?? '')?.[1] ?? 'no answer';
  } finally {
    peer.close();
  }
}

test('a server started with only --config listens, stores and limits as the file says; ctl --config and $SIMPLESIP_CONFIG find it', async (t) => {
  const dir = workDir(t);
  const control = await freeTcpPort();
  mkdirSync(join(dir, 'etc'));
  const file = join(dir, 'etc', 'simplesip.yaml');
  writeFileSync(file, [
    '# lab server',
    'listen:',
    '  - udp:127.0.0.1:0',
    `control: 127.0.0.1:${control}`,
    'auth: off',
    'data: ../var/lib   # relative to this file',
    'max-contacts: 2',
    'log-level: warn',
    '',
  ].join('\n'));
  // Started from another directory: the data path is the file's, not the working directory's.
  const out = await startServer(t, ['--config', file]);
  assert.match(out, new RegExp(`control API on 127\\.0\\.0\\.1:${control}`));
  const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  assert.ok(existsSync(join(dir, 'var', 'lib', 'simplesip.db')), 'the database is in the directory the file names');
  assert.ok(!existsSync(join(root, 'var')));

  assert.equal(await statusOf(port, 2), '200 OK');
  assert.match(await statusOf(port, 3), /^403 /, 'max-contacts from the file');

  const viaFlag = await runCtl(['--config', file, 'stats', '--json']);
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.equal((JSON.parse(viaFlag.stdout) as { bindings: number }).bindings, 2);
  const viaEnv = await runCtl(['ul', 'show', 'alice@127.0.0.1', '--json'], { env: { SIMPLESIP_CONFIG: file } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(viaEnv.stdout.trim().split('\n').length, 2);
  // $SIMPLESIP_CONTROL, being more specific, beats the file named by $SIMPLESIP_CONFIG; --config beats both.
  const elsewhere = `127.0.0.1:${await freeTcpPort()}`;
  const envControl = await runCtl(['stats'], { env: { SIMPLESIP_CONFIG: file, SIMPLESIP_CONTROL: elsewhere } });
  assert.equal(envControl.code, 3);
  assert.match(envControl.stderr, new RegExp(elsewhere.replace(/\./g, '\\.')));
  const flagWins = await runCtl(['--config', file, 'stats'], { env: { SIMPLESIP_CONTROL: elsewhere } });
  assert.equal(flagWins.code, 0, flagWins.stderr);
});

test('flags on the command line win over the file; a JSON file with camelCase keys works too', async (t) => {
  const dir = workDir(t);
  const file = join(dir, 'simplesip.json');
  writeFileSync(file, JSON.stringify({ listen: ['udp:127.0.0.1:0'], control: '127.0.0.1:1', store: 'memory', auth: false, maxContacts: 1, logLevel: 'warn' }));
  const out = await startServer(t, ['--config', file, '--control', '127.0.0.1:0', '--max-contacts', '3']);
  assert.doesNotMatch(out, /control API on 127\.0\.0\.1:1\n/);
  const port = Number(/udp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  assert.equal(await statusOf(port, 3), '200 OK', '--max-contacts 3 on the command line, 1 in the file');
});

/** `simplesip ARGS...` run to its end (killed after 20 s): exit code and everything it printed. */
function runToEnd(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawnCli(args, root);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  return new Promise((resolve) => child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); }));
}

test('a bad config file stops the server before anything starts, saying which file, which key and what to write', async (t) => {
  const dir = workDir(t);
  const cases: Array<[string, RegExp]> = [
    ['max-contact: 5\n', /^simplesip: .*bad-0\.yaml: unknown setting "max-contact" \(did you mean "max-contacts"\?\)$/m],
    ['max-contacts: lots\n', /bad-1\.yaml: max-contacts: takes a whole number from 1 to 1000, not "lots"/],
    ['trace: yes\n', /bad-2\.yaml: trace: takes true or false, not "yes"/],
    ['listen: [udp6:*:5060]\n', /bad-3\.yaml: listen: .*"udp6"/],
    ['listen: []\n', /bad-4\.yaml: listen: takes at least one value/],
    ['control: 192.0.2.1:5099\n', /bad-5\.yaml: control: the control API has no authentication and listens on loopback only/],
    ['control: [::1]:5099\n', /bad-6\.yaml is not valid YAML: .*line 2.*needs quotes: control: "\[::1\]:5099"/],
    ['- udp:*:5060\n', /bad-7\.yaml is not valid YAML|bad-7\.yaml must be a mapping of settings/],
    ['store: memory\nstore: sqlite\n', /bad-8\.yaml is not valid YAML: .*unique/i],
    ['max-contacts: 3\nmaxContacts: 4\n', /bad-9\.yaml: "maxContacts" and "max-contacts" are the same setting/],
    ['config: other.yaml\n', /bad-10\.yaml: unknown setting "config"/],
  ];
  const runs = cases.map(([text], i) => {
    const file = join(dir, `bad-${i}.yaml`);
    writeFileSync(file, `data: ./data-${i}\n${text}`);
    // Should a case pass by mistake, the server it starts takes no well-known port.
    const safety = [...text.includes('listen') ? [] : ['--listen', 'udp:127.0.0.1:0'], ...text.includes('control') ? [] : ['--control', '127.0.0.1:0']];
    return runToEnd(['server', '--config', file, ...safety]);
  });
  const results = await Promise.all(runs);
  cases.forEach(([text, expected], i) => {
    const { code, out } = results[i];
    assert.equal(code, 1, `${text}: ${out}`);
    assert.match(out, expected, text);
    assert.doesNotMatch(out, /listening on|\n\s+at /, 'nothing started, no stack trace');
    assert.ok(!existsSync(join(dir, `data-${i}`)), 'no data directory made');
  });
  writeFileSync(join(dir, 'list.yaml'), '- a\n');
  const { code, out } = await runToEnd(['server', '--config', join(dir, 'list.yaml')]);
  assert.equal(code, 1);
  assert.match(out, /list\.yaml must be a mapping of settings \(key: value\), one per server flag/);
  const missing = await runToEnd(['server', '--config', join(dir, 'nowhere.yaml')]);
  assert.equal(missing.code, 1);
  assert.match(missing.out, /cannot read the config file .*nowhere\.yaml: no such file/);
});

test('ctl with an unreadable or broken --config is a usage error (exit 2) naming the file', async (t) => {
  const dir = workDir(t);
  writeFileSync(join(dir, 'broken.yaml'), 'control: [::1]:5099\n');
  const broken = await runCtl(['--config', join(dir, 'broken.yaml'), 'stats']);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.yaml is not valid YAML/);
  const missing = await runCtl(['--config', join(dir, 'missing.yaml'), 'stats']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the config file .*missing\.yaml: no such file/);
});
