// RFC 3994 3.2: while the user keeps typing, "active" is sent again once its refresh interval has
// passed (and not before); 4: a received "active" lapses to idle after its refresh interval.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIsComposing, type ComposingState } from '../../src/messaging/is-composing.js';
import { TypingIndicator } from '../../src/client/typing.js';
import type { TypingEvent, UserAgent } from '../../src/index.js';
import { hostPort, newUa } from './helpers.js';
import { ScriptedPeer, sleep, until } from './scripted-peer.js';

describe('typing refresh (clock injected)', () => {
  test('active again only when the refresh interval has passed since the last active', () => {
    let now = 1_000_000;
    const sent: Array<{ at: number; to: string; state: ComposingState; refresh?: number }> = [];
    const typing = new TypingIndicator({ refreshSeconds: 90, idleMs: 3_600_000 },
      (to, body) => {
        const doc = parseIsComposing(body);
        sent.push({ at: now, to, state: doc.state, refresh: doc.refresh });
      }, () => undefined, () => now);
    const bob = 'sip:bob@example.com';
    const keystrokes = [0, 30_000, 89_999, 90_000, 150_000, 179_999, 180_000];
    for (const at of keystrokes) {
      now = 1_000_000 + at;
      typing.composing(bob);
    }
    assert.deepEqual(sent.map((s) => [s.at - 1_000_000, s.state, s.refresh]), [[0, 'active', 90], [90_000, 'active', 90], [180_000, 'active', 90]]);
    // Another conversation has its own interval.
    typing.composing('sip:carol@example.com');
    assert.equal(sent.at(-1)?.to, 'sip:carol@example.com');
    typing.close();
  });
});

describe('typing refresh on the wire', () => {
  let peer: ScriptedPeer;
  let ua: UserAgent;
  before(async () => {
    peer = await ScriptedPeer.start();
    peer.script = () => ({ status: 200 });
    ua = newUa(peer.uri(), { typingRefreshSeconds: 1, typingIdleMs: 300 });
    await ua.register();
  });
  after(async () => {
    await ua.close();
    await peer.stop();
  });

  test('typing for longer than the refresh: active, active again after 1 s, idle after the idle timeout', async () => {
    const sentAt: number[] = [];
    peer.script = (r) => {
      if (r.method === 'MESSAGE') sentAt.push(Date.now());
      return { status: 200 };
    };
    const start = Date.now();
    while (Date.now() - start < 1300) {
      ua.composing('bob');
      await sleep(100);
    }
    await until(() => sentAt.length >= 3, 2000, 'active, active, idle');
    await sleep(400);
    const docs = peer.of('MESSAGE').map((m) => parseIsComposing(m.body.toString()));
    assert.deepEqual(docs.map((d) => d.state), ['active', 'active', 'idle']);
    assert.equal(docs[0].refresh, 1);
    // The first active went out at the first keystroke (start); the second not before start + 1 s.
    assert.ok(sentAt[1] - start >= 999 && sentAt[1] - start < 1500, `actives at ${sentAt.map((x) => x - start).join(', ')} ms`);
  });

  test('a received active with refresh=1 lapses to idle after about a second', async () => {
    const events: Array<TypingEvent & { at: number }> = [];
    ua.on('typing', (t) => events.push({ ...t, at: Date.now() }));
    const at = hostPort(ua.contact as string);
    const doc = '<?xml version="1.0"?><isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state><refresh>1</refresh></isComposing>';
    await peer.send(at, { method: 'MESSAGE', uri: ua.contact as string, from: '<sip:bob@example.com>;tag=b1', to: '<sip:alice@example.com>', body: doc, contentType: 'application/im-iscomposing+xml' });
    await until(() => events.length >= 2, 3000, 'active then idle');
    assert.deepEqual(events.map((e) => [e.from, e.state]), [['sip:bob@example.com', 'active'], ['sip:bob@example.com', 'idle']]);
    const lapse = events[1].at - events[0].at;
    assert.ok(lapse >= 950 && lapse < 1500, `${lapse} ms`);
  });
});
