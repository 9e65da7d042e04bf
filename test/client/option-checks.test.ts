// Bad options are SipClientError('invalid-option') naming the problem, before anything is sent:
// never a RangeError or TypeError from deep in the stack, a malformed header, or 'unreachable'.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SipClientError, type PresenceSetting, type UserAgentOptions } from '../../src/index.js';
import { newUa } from './helpers.js';
import { ScriptedPeer } from './scripted-peer.js';

let peer: ScriptedPeer;
before(async () => {
  peer = await ScriptedPeer.start();
  peer.script = (r) => (r.method === 'PUBLISH' ? { status: 200, headers: [['SIP-ETag', 'e1'], ['Expires', '600']] } : { status: 200 });
});
after(() => peer.stop());

const invalidOption = (message: RegExp) => (err: unknown) => err instanceof SipClientError && err.code === 'invalid-option' && message.test(err.message);

test('new UserAgent() refuses bad options with invalid-option naming them', () => {
  const cases: Array<[Partial<UserAgentOptions>, RegExp]> = [
    [{ presenceExpires: -5 }, /presenceExpires -5: .*whole number of seconds above 0/],
    [{ presenceExpires: 1.5 }, /presenceExpires 1\.5/],
    [{ timers: { t1: 0 } }, /timer t1 0: a number of milliseconds above 0/],
    [{ timers: { t2: -5 } }, /timer t2 -5/],
    [{ transport: 'carrier-pigeon' as UserAgentOptions['transport'] }, /transport "carrier-pigeon": expected udp, tcp, tls, ws or wss/],
    [{ displayName: 'Al\r\nX-Evil: 1' }, /displayName .* has a control character/],
    [{ userAgent: 'x\r\nY: 1' }, /userAgent .* has a control character/],
    [{ username: 'a\nb' }, /username .* has a control character/],
    [{ transport: 'ws', wsPath: 'nopath' }, /wsPath "nopath": expected a path that starts with "\/"/],
    [{ aor: 123 as unknown as string }, /address of record must be a string/],
    [{ localPorts: { min: 'a', max: 'b' } as unknown as UserAgentOptions['localPorts'] }, /localPorts .*whole numbers from 0 to 65535/],
    [{ localPorts: { min: Number.NaN, max: 5 } }, /localPorts/],
    [{ localPorts: { min: 6000, max: 5000 } }, /min <= max/],
    [{ closeTimeoutMs: -1 }, /closeTimeoutMs -1: a number of milliseconds, 0 or more/],
    [{ keepaliveIntervalMs: Number.NaN }, /keepaliveIntervalMs NaN/],
    [{ typingIdleMs: -100 }, /typingIdleMs -100/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => newUa(peer.uri(), options), invalidOption(message), JSON.stringify(options));
  }
});

test('sendMessage refuses a content type with CR/LF; setPresence a note that is not text or a basic that is not open/closed; nothing is sent', async () => {
  const ua = newUa(peer.uri());
  try {
    await assert.rejects(ua.sendMessage('bob', 'hi', 'text/plain;x="a\r\nb"'), invalidOption(/content type .* has a control character/));
    await assert.rejects(ua.sendMessage('bob', 'hi', 'text/plain;x="a\nb"'), invalidOption(/content type/));
    await assert.rejects(ua.setPresence({ basic: 'open', note: 123 as unknown as string }), invalidOption(/note must be a string, not number/));
    await assert.rejects(ua.setPresence({ basic: 'busy' } as unknown as PresenceSetting), invalidOption(/basic "busy": expected "open" or "closed"/));
    await assert.rejects(ua.setPresence(null as unknown as PresenceSetting), invalidOption(/setPresence needs/));
    assert.equal(peer.requests.length, 0, 'nothing was sent');
  } finally {
    await ua.close();
  }
});
