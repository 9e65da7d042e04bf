// A server that fell behind says so: its UDP queue delay and the datagrams its sockets dropped show
// in the control API's /stats and /metrics, while it goes on answering (measured on the real sockets).
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../src/control/control-server.js';
import { optionsRequest, RawUdpPeer } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server.js';
import { call } from '../control/http.js';

test('a 300 ms stall of the server thread shows as UDP queue delay in /stats and /metrics', async (t) => {
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'] });
  const control = new ControlServer(srv.server.controlContext());
  const controlPort = (await control.listen({ host: '127.0.0.1', port: 0 })).port;
  const peer = await RawUdpPeer.open();
  t.after(async () => { peer.close(); control.close(); await srv.stop(); });
  const stats = async (): Promise<{ udpQueueDelay: { lastMs: number; maxLastMinuteMs: number } }> =>
    JSON.parse((await call(controlPort, 'GET', '/stats')).text);

  await new Promise((r) => setTimeout(r, 300));
  const before = await stats();
  assert.ok(before.udpQueueDelay.maxLastMinuteMs < 100, `an idle server reads at once (${before.udpQueueDelay.maxLastMinuteMs} ms)`);

  // A probe goes out, then the thread stalls with it and a request in the socket's queue.
  srv.server.queueDelay.record(srv.server.transport.queueDelayMs());
  peer.send(optionsRequest(`sip:127.0.0.1:${srv.port('udp')}`, `UDP 127.0.0.1:${peer.port}`), srv.port('udp'));
  const end = performance.now() + 300;
  while (performance.now() < end) { /* the stall */ }
  assert.match((await peer.receive(2000))?.toString() ?? '', /^SIP\/2\.0 200 OK\r\n/, 'the request is still answered');
  await new Promise((r) => setTimeout(r, 250));

  const after = await stats();
  assert.ok(after.udpQueueDelay.maxLastMinuteMs >= 250, `the stall is seen (${after.udpQueueDelay.maxLastMinuteMs} ms)`);
  assert.ok(after.udpQueueDelay.lastMs < 200, `and the delay is back down (${after.udpQueueDelay.lastMs} ms)`);
  const metrics = (await call(controlPort, 'GET', '/metrics')).text;
  const bucket = (le: string): number => Number(new RegExp(`simplesip_udp_queue_delay_seconds_bucket\\{le="${le}"\\} (\\d+)`).exec(metrics)?.[1]);
  assert.ok(bucket('0.1') < bucket('0.5'), 'one sample between 100 and 500 ms in the histogram');
  assert.ok(bucket('0.005') > 0, 'and the quick ones below 5 ms');
});

test('datagrams lost to a full UDP receive queue are counted in /stats and /metrics (Linux /proc)', async (t) => {
  // The smallest buffer, then 3000 datagrams sent while this thread (the server's) cannot read.
  const srv = await startServer({ listen: ['udp:127.0.0.1:0'], udpBufferSize: 65536 });
  const control = new ControlServer(srv.server.controlContext());
  const controlPort = (await control.listen({ host: '127.0.0.1', port: 0 })).port;
  const flood = createSocket('udp4');
  t.after(async () => { flood.close(); control.close(); await srv.stop(); });
  const stats = async (): Promise<{ udpReceiveDrops: number | null }> => JSON.parse((await call(controlPort, 'GET', '/stats')).text);
  assert.equal((await stats()).udpReceiveDrops, 0);
  await new Promise<void>((r) => flood.bind(0, '127.0.0.1', r));
  flood.connect(srv.port('udp'), '127.0.0.1');
  await once(flood, 'connect');
  const keepalive = Buffer.from('\r\n\r\n');
  for (let i = 0; i < 3000; i++) flood.send(keepalive);
  await new Promise((r) => setTimeout(r, 200));
  const drops = (await stats()).udpReceiveDrops;
  assert.ok(drops !== null && drops >= 1000 && drops <= 3000, `most of the 3000 datagrams were dropped: ${drops}`);
  const metrics = (await call(controlPort, 'GET', '/metrics')).text;
  assert.match(metrics, new RegExp(`^simplesip_udp_receive_drops_total ${drops}$`, 'm'));
});
