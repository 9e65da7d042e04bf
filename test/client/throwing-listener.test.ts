// A listener that throws (a bug in the application) must not change what the user agent does: the
// request is answered, register() resolves, buddies() is right; the exception is thrown again on the
// next tick, an uncaught exception as from any EventEmitter.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { UserAgent } from '../../src/index.js';
import { hostPort, newUa } from './helpers.js';
import { ScriptedPeer, until } from './scripted-peer.js';

/** Runs `work` with the uncaught exceptions collected instead of failing the test run. */
async function collectingUncaught<T>(work: () => Promise<T>): Promise<{ result: T; uncaught: unknown[] }> {
  const runner = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  const uncaught: unknown[] = [];
  const collect = (err: unknown): void => void uncaught.push(err);
  process.on('uncaughtException', collect);
  try {
    const result = await work();
    await new Promise((resolve) => setImmediate(resolve));
    return { result, uncaught };
  } finally {
    process.off('uncaughtException', collect);
    for (const listener of runner) process.on('uncaughtException', listener);
  }
}

const bug = (what: string) => () => {
  throw new Error(`bug in the ${what} listener`);
};

describe('listeners that throw', () => {
  let peer: ScriptedPeer;
  let ua: UserAgent;
  let at: { address: string; port: number };
  before(async () => {
    peer = await ScriptedPeer.start();
    ua = newUa(peer.uri());
    peer.script = (r) => (r.method === 'SUBSCRIBE' ? { status: 200, headers: [['Expires', '600'], ['Contact', '<sip:bob@127.0.0.1>']] } : { status: 200 });
    await ua.register();
    at = hostPort(ua.contact as string);
  });
  after(async () => {
    await ua.close();
    await peer.stop();
  });

  test('a throwing registered listener: register() still resolves; the exception is thrown on', async () => {
    const listener = bug('registered');
    ua.on('registered', listener);
    const { uncaught } = await collectingUncaught(() => ua.register());
    ua.off('registered', listener);
    assert.deepEqual(uncaught.map((e) => (e as Error).message), ['bug in the registered listener']);
  });

  test('a throwing message listener: the MESSAGE is answered 200 once and delivered once', async () => {
    let deliveries = 0;
    ua.on('message', () => {
      deliveries++;
      throw new Error('bug in the message listener');
    });
    const { result, uncaught } = await collectingUncaught(() => peer.send(at, {
      method: 'MESSAGE', uri: `sip:alice@${at.address}:${at.port}`, from: '<sip:bob@example.com>;tag=b1', to: '<sip:alice@example.com>', body: 'hi', contentType: 'text/plain',
    }));
    assert.equal(result.status, 200);
    assert.equal(deliveries, 1);
    assert.deepEqual(uncaught.map((e) => (e as Error).message), ['bug in the message listener']);
  });

  test('a throwing presence listener: the NOTIFY is answered 200 and buddies() shows the subscription active', async () => {
    ua.on('presence', bug('presence'));
    await ua.subscribe('bob');
    await until(() => peer.of('SUBSCRIBE').length >= 1, 2000, 'SUBSCRIBE');
    const sub = peer.of('SUBSCRIBE')[0];
    const { result, uncaught } = await collectingUncaught(() => peer.send(at, {
      method: 'NOTIFY', uri: ua.contact as string, from: '<sip:bob@example.com>;tag=srv1', to: `<sip:alice@example.com>;tag=${sub.from().tag as string}`,
      callId: sub.callId(), cseq: 1, headers: [['Event', 'presence'], ['Subscription-State', 'active;expires=600'], ['Contact', '<sip:bob@127.0.0.1>']],
    }));
    assert.equal(result.status, 200);
    assert.equal(uncaught.length, 1);
    assert.deepEqual((await ua.buddies()).map((b) => [b.buddy, b.subscription]), [['sip:bob@example.com', 'active']]);
  });
});
