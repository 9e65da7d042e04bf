// RFC 3261 8.2.2.1: a request outside a dialog whose Request-URI names another user gets 404 and
// never reaches the application: after a UA died without unregistering, another user's UA that got
// its port must not take that user's messages.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, UserAgent } from '../../src/index.js';
import { hostPort, newUa } from './helpers.js';
import { ScriptedPeer } from './scripted-peer.js';

describe('requests for another user', () => {
  let peer: ScriptedPeer;
  let ua: UserAgent;
  let at: { address: string; port: number };
  const got: IncomingMessage[] = [];
  before(async () => {
    peer = await ScriptedPeer.start();
    ua = newUa(peer.uri());
    ua.on('message', (m) => got.push(m));
    await ua.register();
    at = hostPort(ua.contact as string);
  });
  after(async () => {
    await ua.close();
    await peer.stop();
  });
  const send = (method: string, user: string | undefined) => peer.send(at, {
    method, uri: `sip:${user === undefined ? '' : `${user}@`}${at.address}:${at.port}`,
    from: '<sip:bob@example.com>;tag=b1', to: `<sip:${user ?? 'alice'}@example.com>`, body: 'for you', contentType: 'text/plain',
  });

  test('a MESSAGE or OPTIONS whose Request-URI names another user gets 404 saying so; the application gets nothing', async () => {
    const message = await send('MESSAGE', 'victim');
    assert.equal(message.status, 404);
    assert.match(message.reason as string, /not the user the Request-URI names/);
    assert.equal((await send('OPTIONS', 'victim')).status, 404);
    assert.equal((await send('MESSAGE', 'Alice')).status, 404, 'the user part is case-sensitive (RFC 3261 19.1.4)');
    assert.deepEqual(got, []);
  });

  test('our own user, with escapes or without a user part, is served', async () => {
    assert.equal((await send('MESSAGE', '%61lice')).status, 200);
    assert.equal((await send('OPTIONS', undefined)).status, 200);
    assert.equal(got.length, 1);
  });
});
