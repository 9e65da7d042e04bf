// Addresses the client writes: against simplesip's server on 127.0.0.1, on [::1], and on [::]
// reached over IPv4, the Via and Contact carry the address the kernel routes toward the server,
// never ::ffff: and never a wildcard. Also the local port range and WebSocket flows.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createSocket } from 'node:dgram';
import { bindUdpInRange, routedLocalAddress } from '../../src/client/local-socket.js';
import { TransportManager } from '../../src/transport/transport-manager.js';
import { startServer, type RunningServer } from '../helpers/server.js';
import { freePort } from '../helpers/free-port.js';
import { newUa } from './helpers.js';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  return { stream: new Writable({ write(chunk: Buffer, _e, cb) { text += chunk.toString(); cb(); } }), text: () => text };
}

const cases: Array<{ name: string; listen: string; connect: string; expect: string }> = [
  { name: 'IPv4 server on 127.0.0.1', listen: 'udp:127.0.0.1:0', connect: '127.0.0.1', expect: '127.0.0.1' },
  { name: 'IPv6 server on [::1]', listen: 'udp:[::1]:0', connect: '[::1]', expect: '[::1]' },
  { name: 'server on [::] reached over IPv4', listen: 'udp:[::]:0', connect: '127.0.0.1', expect: '127.0.0.1' },
  { name: 'tcp server on [::] reached over IPv4', listen: 'tcp:[::]:0', connect: '127.0.0.1', expect: '127.0.0.1' },
];

describe('dual-stack: what the client writes', () => {
  const servers: RunningServer[] = [];
  after(async () => { for (const s of servers) await s.stop(); });

  for (const c of cases) {
    test(c.name, async () => {
      const trace = capture();
      const srv = await startServer({ listen: [c.listen], domains: ['example.com'], probeIntervalSeconds: 0, trace: true }, trace.stream);
      servers.push(srv);
      await srv.server.users.add('alice', 'example.com', 'secret');
      const protocol = c.listen.split(':')[0];
      const ua = newUa(`sip:${c.connect}:${srv.listeners[0].port};transport=${protocol}`);
      await ua.register();
      await ua.close();
      const written = trace.text().split('\n').filter((l) => /^(Via|Contact): /i.test(l) && /alice|SIP\/2\.0\/(UDP|TCP) /.test(l));
      assert.ok(written.length > 0, trace.text().slice(0, 500));
      for (const line of written) {
        assert.doesNotMatch(line, /::ffff:|0\.0\.0\.0|\[::\]/i, line);
      }
      const vias = written.filter((l) => /^Via/i.test(l));
      assert.ok(vias.every((l) => l.includes(` ${c.expect}:`)), vias.join('\n'));
      const contacts = written.filter((l) => /^Contact/i.test(l) && l.includes('alice@'));
      assert.ok(contacts.length > 0 && contacts.every((l) => l.includes(`alice@${c.expect}:`)), contacts.join('\n'));
      assert.equal(srv.server.location.lookup('sip:alice@example.com').length, 0);
    });
  }
});

describe('local socket', () => {
  test('the routed address toward a server is of its family', async () => {
    assert.equal(await routedLocalAddress('127.0.0.1', 4), '127.0.0.1');
    assert.equal(await routedLocalAddress('::1', 6), '::1');
  });

  test('the first free port of the range', async () => {
    const first = await freePort();
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(first, '127.0.0.1', resolve));
    const transport = new TransportManager();
    try {
      const l = await bindUdpInRange(transport, '127.0.0.1', { min: first, max: first + 20 });
      assert.ok(l.port > first && l.port <= first + 20, String(l.port));
      assert.deepEqual(l.families, [4]);
      await assert.rejects(bindUdpInRange(transport, '127.0.0.1', { min: first, max: first }), /no free UDP port/);
    } finally {
      taken.close();
      await transport.close();
    }
  });
});

describe('WebSocket flows (RFC 7118)', () => {
  test('register over ws: Contact carries the connection and transport=ws', async () => {
    const srv = await startServer({ listen: ['ws:127.0.0.1:0'], domains: ['example.com'], probeIntervalSeconds: 0 });
    await srv.server.users.add('alice', 'example.com', 'secret');
    try {
      const ua = newUa(`sip:127.0.0.1:${srv.listeners[0].port};transport=ws`);
      await ua.register();
      assert.match(ua.contact as string, /^sip:alice@127\.0\.0\.1:\d+;transport=ws$/);
      assert.equal(srv.server.location.lookup('sip:alice@example.com').length, 1);
      await ua.close();
      assert.equal(srv.server.location.lookup('sip:alice@example.com').length, 0);
    } finally {
      await srv.stop();
    }
  });
});
