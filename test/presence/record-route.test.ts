// RFC 6665 / RFC 3261 12.1.1: a SUBSCRIBE that reached us through a proxy carries its Record-Route;
// the 200 copies it and the NOTIFYs follow that route set (to the proxy, with a Route header naming
// it) instead of going straight to the subscriber.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { SipParseError } from '../../src/sip/errors.js';
import type { SipMessage } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { RawUdpPeer } from '../helpers/raw-client.js';
import { startServer } from '../helpers/server.js';
import { PresencePeer } from './presence-peer.js';

/**
 * alice subscribes to bob through a "proxy" (a raw UDP socket) whose Record-Route is `routeOf(port)`;
 * returns the 200's Record-Route, the route, alice's SIP port and the NOTIFY that reached the proxy.
 */
async function notifyThroughProxy(t: TestContext, routeOf: (port: number) => string): Promise<{ recordRoute: string[]; route: string; watcherPort: number; notify: SipMessage }> {
  const srv = await startServer({ auth: false, probeIntervalSeconds: 0 });
  const watcher = await PresencePeer.open('udp', '127.0.0.1', srv.port('udp'), 'alice');
  const proxy = await RawUdpPeer.open();
  t.after(async () => {
    watcher.close();
    proxy.close();
    await srv.stop();
  });
  const route = routeOf(proxy.port);
  const { response } = await watcher.subscribe('sip:bob@127.0.0.1', { extra: [`Record-Route: ${route}`] });
  assert.equal(response.status, 200);
  const data = await proxy.receive(3000);
  assert.ok(data, `no NOTIFY reached the proxy named in the Record-Route ${route}`);
  const notify = parseMessage(data);
  if (notify instanceof SipParseError) throw notify;
  assert.equal(notify.method, 'NOTIFY');
  return { recordRoute: response.headerValues('record-route'), route, watcherPort: watcher.sip.port, notify };
}

test('NOTIFYs follow the Record-Route of the SUBSCRIBE', async (t) => {
  const { recordRoute, route, watcherPort, notify } = await notifyThroughProxy(t, (port) => `<sip:127.0.0.1:${port};lr>`);
  assert.deepEqual(recordRoute, [route]);
  assert.deepEqual(notify.headerValues('route'), [route]);
  assert.match(notify.requestUri, new RegExp(`^sip:alice@127\\.0\\.0\\.1:${watcherPort}`), 'the Request-URI is the subscriber\'s Contact');
});

test('a Record-Route naming [::ffff:127.0.0.1] is followed over IPv4 (an IPv4-only server socket reaches it)', async (t) => {
  // The server listens on udp:127.0.0.1 only, as under bindv6only=1 no IPv6 socket reaches a mapped
  // address: the next hop must be sent to as the IPv4 address it carries (RFC 3261 12.2.1.1 route set).
  const { notify } = await notifyThroughProxy(t, (port) => `<sip:[::ffff:127.0.0.1]:${port};lr>`);
  assert.match(notify.topVia()?.host ?? '', /^127\.0\.0\.1$/);
});
