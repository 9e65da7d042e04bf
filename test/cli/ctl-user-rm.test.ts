// `ctl user rm` against a real server: the user's registrations and stored messages go with him.
// Before, his bindings stayed (MESSAGEs still reached his device, RFC 3261 16.5; his UA could
// neither refresh nor unregister them, every REGISTER now failing authentication, 22.1), and his
// stored messages waited for whoever was later created under his name (README "simplesip ctl").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ControlServer } from '../../src/control/control-server.js';
import { SipEndpoint } from '../helpers/sip-endpoint.js';
import { startServer } from '../helpers/server.js';
import { sendMessage } from '../server/message-helpers.js';
import { runCtl } from './ctl-run.js';

test('ctl user rm removes the user\'s bindings and stored messages and says so', async (t) => {
  const running = await startServer({ auth: true, domains: ['example.com'] });
  const control = new ControlServer(running.server.controlContext());
  const { port } = await control.listen({ host: '127.0.0.1', port: 0 });
  const endpoints: SipEndpoint[] = [];
  t.after(async () => {
    for (const e of endpoints) e.close();
    await control.close();
    await running.stop();
  });
  const ctl = (...args: string[]): ReturnType<typeof runCtl> => runCtl(['--control', `127.0.0.1:${port}`, ...args]);
  const { server } = running;
  await server.users.add('bob', 'example.com', 'bob-pw');
  await server.users.add('alice', 'example.com', 'alice-pw');
  const bob = await SipEndpoint.open('udp', '127.0.0.1', running.port('udp'));
  const alice = await SipEndpoint.open('udp', '127.0.0.1', running.port('udp'));
  endpoints.push(bob, alice);
  assert.equal((await bob.register('bob', 'bob-pw', { expires: 300 })).status, 200);
  // One message waits for him (stored while his device did not answer).
  await server.offlineMessages.store('sip:bob@example.com', '<sip:alice@example.com>', 'text/plain', Buffer.from('for the old bob'));

  const rm = await ctl('user', 'rm', 'bob@example.com');
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout, 'removed bob@example.com with 1 binding and 1 stored message\n');

  const ul = await ctl('ul', 'show', 'bob@example.com');
  assert.equal(ul.code, 1, 'no binding left');
  assert.equal((await ctl('msg', 'list', 'bob@example.com', '--json')).stdout.trim(), '[]');
  // A MESSAGE for him is no longer relayed to the device he had registered: he is unknown (404).
  const sent = await sendMessage(alice, { from: 'alice', to: 'bob', body: 'still there?', password: 'alice-pw' });
  assert.equal(sent.status, 404, `${sent.status} ${sent.reason}`);
  await assert.rejects(bob.next('request', 300), 'nothing reached the old device');

  // A new bob starts with an empty mailbox.
  assert.equal((await ctl('user', 'add', 'bob@example.com', 'new-pw')).code, 0);
  assert.equal(server.offlineMessages.list('sip:bob@example.com').length, 0);
});
