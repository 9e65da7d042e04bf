// `simplesip ctl` as an operator runs it, against a control server with a fake context in this
// process: output, JSON contract, exit codes, errors.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidUserError } from '../../src/auth/user-directory.js';
import { ControlServer } from '../../src/control/control-server.js';
import { binding, fakeContext, FakeLocation, type FakeContext } from '../control/fake-context.js';
import { runCtl } from './ctl-run.js';

let location: FakeLocation;
let context: FakeContext;
let server: ControlServer;
let control: string;

before(async () => {
  location = new FakeLocation();
  context = fakeContext(location);
  server = new ControlServer(context);
  control = `127.0.0.1:${(await server.listen({ host: '127.0.0.1', port: 0 })).port}`;
});

after(() => server.close());

const ctl = (args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) =>
  runCtl([...args, '--control', control], options);

function reset(): void {
  const now = Date.now();
  location.table.clear();
  location.add(
    binding({
      aor: 'sip:alice@example.com', contact: 'sip:alice@192.0.2.10:5060', q: 1, userAgent: 'Pidgin 2.14',
      flags: ['nat'], methods: ['INVITE', 'MESSAGE'], lastKeepalive: now, expiresAt: now + 120_500,
    }),
    binding({ aor: 'sip:alice@example.com', contact: 'sip:alice@192.0.2.11:5060', q: 0.5 }),
    binding({
      aor: 'sip:bob@example.com', contact: 'sip:bob@[2001:db8::2]:5070', socket: 'udp:[::]:5060',
      received: { protocol: 'udp', address: '2001:db8::2', port: 5070 }, path: ['<sip:edge.example.com;lr>'],
      instance: 'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6', regId: 1,
    }),
  );
}

const CONTRACT = [
  'aor', 'contact', 'expires', 'q', 'callId', 'cseq', 'userAgent', 'received', 'path', 'state', 'flags',
  'socket', 'methods', 'instance', 'regId', 'lastKeepalive', 'lastModified',
];

test('ul show: readable blocks per AOR with every field, and a count', async () => {
  const resetAt = Date.now();
  reset();
  const r = await ctl(['ul', 'show']);
  const elapsed = (Date.now() - resetAt) / 1000;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.match(/^AOR: /gm)?.length, 2);
  const first = /^AOR: sip:alice@example\.com\n  Contact: sip:alice@192\.0\.2\.10:5060\n    Expires: +(\d+)\n    Q: +1\n/m.exec(r.stdout);
  assert.ok(first, r.stdout);
  // 120.5 s left when reset() ran, shown rounded up: 121 at once, less by the time ctl took (seconds on a loaded machine).
  const shown = Number(first[1]);
  assert.ok(shown <= 121 && shown >= Math.ceil(120.5 - elapsed), `Expires ${shown} after ${elapsed} s`);
  for (const label of ['Call-ID', 'CSeq', 'User-Agent', 'Received', 'Path', 'State', 'Flags', 'Socket', 'Methods', 'Instance', 'Reg-Id', 'Last-Keepalive', 'Last-Modified']) {
    assert.equal(r.stdout.match(new RegExp(`^    ${label}: `, 'gm'))?.length, 3, label);
  }
  assert.match(r.stdout, /^    Received: +udp:\[2001:db8::2\]:5070$/m);
  assert.match(r.stdout, /^    Socket: +udp:\[::\]:5060$/m);
  assert.match(r.stdout, /^    Methods: +INVITE, MESSAGE$/m);
  assert.match(r.stdout, /^    State: +active$/m);
  assert.match(r.stdout, /\n3 bindings, 2 AORs\n$/);
});

test('ul show --json: NDJSON, one binding per line, with exactly the contract field names', async () => {
  reset();
  const r = await ctl(['ul', 'show', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  for (const line of lines) assert.deepEqual(Object.keys(JSON.parse(line) as object), CONTRACT);
  const bob = JSON.parse(lines[2]) as Record<string, unknown>;
  assert.equal(bob.received, 'udp:[2001:db8::2]:5070');
  assert.equal(bob.regId, 1);
  assert.deepEqual(bob.path, ['<sip:edge.example.com;lr>']);
});

test('ul show AOR: that AOR only (typed without sip:); an unknown AOR exits 1', async () => {
  reset();
  const text = await ctl(['ul', 'show', 'alice@example.com']);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(text.stdout.match(/^  Contact: /gm)?.length, 2);
  assert.match(text.stdout, /\n2 bindings, 1 AOR\n$/);
  const json = await ctl(['ul', 'show', 'sip:bob@example.com', '--json']);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout) as object), CONTRACT);
  const missing = await ctl(['ul', 'show', 'carol@example.com']);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'simplesip ctl: sip:carol@example.com has no bindings\n');
});

test('ul rm: one contact, then the whole AOR; nothing to remove exits 1', async () => {
  reset();
  const one = await ctl(['ul', 'rm', 'alice@example.com', 'sip:alice@192.0.2.11:5060']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, 'removed 1 binding of sip:alice@example.com\n');
  const all = await ctl(['ul', 'rm', 'sip:alice@example.com']);
  assert.equal(all.stdout, 'removed 1 binding of sip:alice@example.com\n');
  const none = await ctl(['ul', 'rm', 'sip:alice@example.com']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /sip:alice@example\.com has no bindings/);
});

test('ul rm and ul show with an empty AOR: a usage error (exit 2) that says what an AOR is', async () => {
  reset();
  for (const args of [['ul', 'rm', ''], ['ul', 'show', ' ']]) {
    const r = await ctl(args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not a SIP address of record/);
  }
  assert.equal([...location.table.values()].length > 0, true, 'nothing removed');
});

test('user add with the password from stdin (first line), then exists (exit 4)', async () => {
  const r = await ctl(['user', 'add', 'carol@example.com'], { stdin: 'from stdin\nignored\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'added carol@example.com\n');
  assert.equal(context.users.users.get('carol@example.com')?.password, 'from stdin');
  const again = await ctl(['user', 'add', 'carol@example.com', 'other']);
  assert.equal(again.code, 4);
  assert.match(again.stderr, /carol@example\.com already exists/);
});

test('user add in a domain the server does not serve: added, with a warning that its REGISTERs get 404', async () => {
  context.servesDomain = (domain) => domain === 'example.com';
  try {
    const r = await ctl(['user', 'add', 'bob@notserved.example', 'pw']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'added bob@notserved.example\n');
    assert.equal(r.stderr, 'simplesip ctl: warning: notserved.example is not a domain this server serves: REGISTERs for bob@notserved.example get 404 until it is started with --domain notserved.example\n');
    const served = await ctl(['user', 'add', 'erin@example.com', 'pw']);
    assert.equal(served.stderr, '');
  } finally {
    context.servesDomain = undefined;
  }
});

test('user passwd from the argument or stdin; an unknown user exits 1; an empty password exits 2', async () => {
  await ctl(['user', 'add', 'dave@example.com', 'first']);
  assert.equal(context.users.users.get('dave@example.com')?.password, 'first');
  const r = await ctl(['user', 'passwd', 'dave@example.com'], { stdin: 'second\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(context.users.users.get('dave@example.com')?.password, 'second');
  assert.equal((await ctl(['user', 'passwd', 'dave@example.com', 'third'])).code, 0);
  assert.equal(context.users.users.get('dave@example.com')?.password, 'third');
  assert.equal((await ctl(['user', 'passwd', 'nobody@example.com', 'x'])).code, 1);
  const empty = await ctl(['user', 'passwd', 'dave@example.com'], { stdin: '\n' });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /the password is empty/);
});

test('user list (all, one domain, --json) and user rm (unknown: exit 1)', async () => {
  context.users.users.clear();
  await ctl(['user', 'add', 'erin@example.com', 'x']);
  await ctl(['user', 'add', 'frank@example.org', 'x']);
  const all = await ctl(['user', 'list']);
  assert.match(all.stdout, /^erin@example\.com +created 2026-01-02T03:04:05\.000Z\nfrank@example\.org +created/);
  const org = await ctl(['user', 'list', 'example.org', '--json']);
  assert.deepEqual((JSON.parse(org.stdout) as Array<{ user: string }>).map((u) => u.user), ['frank@example.org']);
  const rm = await ctl(['user', 'rm', 'erin@example.com']);
  assert.equal(rm.code, 0);
  assert.equal(rm.stdout, 'removed erin@example.com with 0 bindings and 0 stored messages\n');
  const again = await ctl(['user', 'rm', 'erin@example.com']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, 'simplesip ctl: no such user: erin@example.com\n');
});

test('escape sequences a SIP sender wrote (User-Agent) reach the terminal as \\u001b text, and --json still reads back as sent', async () => {
  location.table.clear();
  const agent = 'evil\u001b]0;pwned\u0007\u001b[1A\u001b[2K\u009b31mRED\r';
  location.add(binding({ aor: 'sip:eve@example.com', contact: 'sip:eve@192.0.2.66:5060', userAgent: agent }));
  for (const args of [['ul', 'show'], ['ul', 'show', 'eve@example.com']]) {
    const r = await ctl(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^    User-Agent: +evil\\u001b\]0;pwned\\u0007\\u001b\[1A\\u001b\[2K\\u009b31mRED\\u000d$/m, args.join(' '));
    assert.doesNotMatch(r.stdout, /[\u001b\u0007\u009b\r]/, `${args.join(' ')}: no raw control character`);
  }
  const json = await ctl(['ul', 'show', 'eve@example.com', '--json']);
  assert.doesNotMatch(json.stdout, /[\u001b\u0007\u009b\r]/);
  assert.equal((JSON.parse(json.stdout) as { userAgent: string }).userAgent, agent);
});

test('a reader that stops early (user list | head -1): the first lines, no EPIPE stack trace', async () => {
  context.users.users.clear();
  for (let i = 0; i < 30_000; i++) await context.users.add(`u${i}`, 'example.com', 'x');
  const root = join(import.meta.dirname, '..', '..');
  const cmd = `node --import tsx src/cli/main.ts ctl user list --control ${control} | head -1`;
  const child = spawn('sh', ['-c', `${cmd}; echo "exit \${PIPESTATUS:-$?}"`], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  await once(child, 'close');
  assert.match(stdout, /^u0@example\.com +created/);
  assert.equal(stderr, '', 'nothing on standard error');
  context.users.users.clear();
});

test('stats: text and --json', async () => {
  reset();
  context.stats.registrationsAccepted = 42;
  context.stats.authFailures = 3;
  const text = await ctl(['stats']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^bindings +3$/m);
  assert.match(text.stdout, /^AORs +2$/m);
  assert.match(text.stdout, /^registrations accepted +42$/m);
  assert.match(text.stdout, /^auth failures +3$/m);
  assert.match(text.stdout, /^transactions +3 server, 1 client$/m);
  assert.match(text.stdout, /^memory +rss \d+\.\d MiB/m);
  assert.match(text.stdout, /^uptime +\d+h \d\dm \d\ds/m);
  assert.match(text.stdout, /^listeners +udp \[::\]:5060 \(IPv4 and IPv6\)\n +tcp 127/m);
  const json = JSON.parse((await ctl(['stats', '--json'])).stdout) as Record<string, unknown>;
  assert.equal(json.registrationsAccepted, 42);
  assert.equal(json.bindings, 3);
});

test('server not running: exit 3 with a message that says what to check', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const r = await runCtl(['ul', 'show', '--control', `127.0.0.1:${port}`]);
  assert.equal(r.code, 3);
  assert.equal(r.stderr, `simplesip ctl: cannot reach the simplesip server control API at 127.0.0.1:${port}: connection refused (is the server running? --control HOST:PORT or --config FILE)\n`);
});

test('SIMPLESIP_CONTROL is used when --control is not given; --control wins over it', async () => {
  const viaEnv = await runCtl(['stats', '--json'], { env: { SIMPLESIP_CONTROL: control } });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  const flagWins = await runCtl(['stats', '--control', control], { env: { SIMPLESIP_CONTROL: '127.0.0.1:1' } });
  assert.equal(flagWins.code, 0, flagWins.stderr);
  const before = await runCtl(['--control', control, 'stats']);
  assert.equal(before.code, 0, before.stderr);
});

test('usage errors exit 2: missing argument, unknown command, bad user name, bad address', async () => {
  assert.equal((await ctl(['ul', 'rm'])).code, 2);
  assert.equal((await ctl(['frobnicate'])).code, 2);
  assert.equal((await ctl([])).code, 2);
  const user = await ctl(['user', 'add', 'alice', 'pw']);
  assert.equal(user.code, 2);
  assert.match(user.stderr, /USER@DOMAIN/);
  const address = await runCtl(['stats', '--control', 'somewhere']);
  assert.equal(address.code, 2);
  assert.match(address.stderr, /HOST:PORT/);
  assert.equal((await ctl(['ul', 'show', 'tel:+1234'])).code, 2);
  assert.equal((await ctl(['--help'])).code, 0);
});

test('a user name the directory refuses: HTTP 400 and exit 2 with its reason, not a server failure', async () => {
  const add = context.users.add;
  context.users.add = async (username: string) => {
    throw new InvalidUserError(`username ${JSON.stringify(username)} contains "<", not allowed in a SIP user part (RFC 3261 25.1)`);
  };
  try {
    const r = await ctl(['user', 'add', 'a<b@example.com', 'pw']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /username "a<b" contains "<"/);
  } finally {
    context.users.add = add;
  }
});

test('--control pointing at another web server: exit 5 saying so, never the "not found" of exit 1', async () => {
  const other = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<!DOCTYPE HTML>\n<html><body>File not found</body></html>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const address = `127.0.0.1:${(other.address() as AddressInfo).port}`;
    for (const args of [['stats'], ['ul', 'show'], ['ul', 'show', 'alice@example.com'], ['user', 'rm', 'alice@example.com']]) {
      const r = await runCtl([...args, '--control', address]);
      assert.equal(r.code, 5, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${address} is not the simplesip control API \\(it answered HTTP 404: <!DOCTYPE HTML>`));
    }
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }
});

test('--control pointing at a web server that answers 200 to everything: ul show --json exits 5 too, printing nothing', async () => {
  const other = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html>hello</html>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  try {
    const address = `127.0.0.1:${(other.address() as AddressInfo).port}`;
    for (const args of [['ul', 'show', '--json'], ['ul', 'show']]) {
      const r = await runCtl([...args, '--control', address]);
      assert.equal(r.code, 5, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`${address} is not the simplesip control API \\(it answered text/html: <html>hello</html>`));
    }
  } finally {
    await new Promise((resolve) => other.close(resolve));
  }
});

test('a dump cut off by the server exits 3 and says the output is incomplete', async () => {
  const line = `${JSON.stringify({ aor: 'sip:a@example.com' })}\n`;
  const broken = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.write(line.repeat(10), () => setTimeout(() => res.destroy(), 50));
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  try {
    const r = await runCtl(['ul', 'show', '--json', '--control', `127.0.0.1:${(broken.address() as AddressInfo).port}`]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /lost during the dump; the output is incomplete/);
    assert.equal(r.stdout, line.repeat(10));
  } finally {
    broken.close();
  }
});
