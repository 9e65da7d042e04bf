// Size limits answer clearly: an oversized request gets 513 Message Too Large (RFC 3261 21.5.14)
// over UDP, and over TCP the 513 is sent before the stream is closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optionsRequest, RawUdpPeer } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server.js';
import { RawStreamClient } from '../transport/wire.js';

function oversized(target: string, via: string, size: number): string {
  const base = optionsRequest(target, via);
  return base.replace('Content-Length: 0', `X-Padding: ${'a'.repeat(size)}\r\nContent-Length: 0`);
}

test('--max-message-size: UDP request over the limit gets 513, one under it 200', async (t) => {
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'], maxMessageSize: 2048 });
  const peer = await RawUdpPeer.open();
  t.after(async () => { peer.close(); await srv.stop(); });
  const target = `sip:127.0.0.1:${srv.port('udp')}`;
  peer.send(oversized(target, `UDP 127.0.0.1:${peer.port}`, 3000), srv.port('udp'));
  assert.match((await peer.receive(2000))?.toString() ?? '', /^SIP\/2\.0 513 Message Too Large\r\n/);
  peer.send(oversized(target, `UDP 127.0.0.1:${peer.port}`, 1000), srv.port('udp'));
  assert.match((await peer.receive(2000))?.toString() ?? '', /^SIP\/2\.0 200 OK\r\n/);
});

test('--max-message-size: TCP request over the limit gets 513 and the connection closes', async (t) => {
  const srv = await startServer({ listen: ['tcp:127.0.0.1:0'], maxMessageSize: 2048 });
  const client = await RawStreamClient.connect(srv.port('tcp'));
  t.after(async () => { client.close(); await srv.stop(); });
  client.write(oversized(`sip:127.0.0.1:${srv.port('tcp')}`, `TCP 127.0.0.1:${client.localPort}`, 3000));
  const reply = await client.waitFor((text) => text.includes('\r\n\r\n'));
  assert.match(reply, /^SIP\/2\.0 513 Message Too Large\r\n/);
  await client.closed;
});
