// RFC 5626 4.5 end to end: when re-registration keeps failing, the UA waits a random time between
// 50% and 100% of min(max-time, base-time * 2^failures) between attempts, and starts over from
// base-time once a REGISTER succeeds again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SipClientError, UnregisteredEvent } from '../../src/index.js';
import { newUa } from './helpers.js';
import { ScriptedPeer, until } from './scripted-peer.js';

const BASE = 100;
const MAX = 400;
/** Timers fire late under load, never early (a millisecond of rounding aside). */
const SLACK = 80;

describe('re-registration backoff against a scripted registrar', () => {
  let peer: ScriptedPeer;
  before(async () => { peer = await ScriptedPeer.start('127.0.0.1', ['udp']); });
  after(() => peer.stop());

  test('failed refreshes back off 50-100% of base * 2^n up to max, and the count restarts after a success', async (t) => {
    const at: number[] = [];
    let failing = false;
    peer.script = (r) => {
      if (r.method !== 'REGISTER') return { status: 200 };
      at.push(Date.now());
      return failing ? { status: 500 } : { status: 200, headers: [['Contact', `${r.header('contact')};expires=1`]] };
    };
    const ua = newUa(peer.uri(), { backoff: { baseMs: BASE, maxMs: MAX } });
    t.after(() => ua.close());
    const unregistered: UnregisteredEvent[] = [];
    const errors: SipClientError[] = [];
    let registrations = 0;
    ua.on('unregistered', (e) => unregistered.push(e));
    ua.on('error', (e) => errors.push(e));
    ua.on('registered', () => registrations++);
    await ua.register();

    const expectGaps = async (from: number, ceilings: number[]): Promise<void> => {
      await until(() => at.length >= from + ceilings.length + 1, 5000, `${ceilings.length} retries`);
      ceilings.forEach((ceiling, i) => {
        const gap = at[from + i + 1] - at[from + i];
        assert.ok(gap >= ceiling / 2 - 2 && gap <= ceiling + SLACK, `attempt ${i + 1}: ${gap} ms, expected ${ceiling / 2}-${ceiling} ms`);
      });
    };

    // The refresh (at half of the 1 s granted) fails: then base, 2 base, 4 base, and max from there on.
    failing = true;
    const refreshAt = at.length;
    await expectGaps(refreshAt, [BASE, 2 * BASE, MAX, MAX]);
    assert.deepEqual(unregistered.map((e) => e.reason), ['failed'], 'one unregistered event, not one per attempt');
    assert.ok(errors.length >= 1 && errors.every((e) => e.status === 500 || e.code === 'unreachable'), errors.map((e) => e.message).join('; '));

    failing = false;
    await until(() => registrations >= 2, 2000, 'registered again');
    // Registered again: the next failure starts over from base-time.
    failing = true;
    const again = at.length;
    await expectGaps(again, [BASE, 2 * BASE]);
  });
});
