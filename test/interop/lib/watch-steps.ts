// Presence steps the peer tests share: a simplesip watcher's view of a buddy, and a simplesip user
// walked through the states that a watching peer must show.
import type { UserAgent } from '../../../src/index.js';
import { waitFor } from './timing.js';

/**
 * Waits until `watcher` sees `buddy` as `basic` and returns how long that took; on failure the error
 * says what the watcher saw, with the tail of `peerLog` when given.
 */
export async function watcherSees(watcher: UserAgent, buddy: string, basic: 'open' | 'closed', timeoutMs: number, what: string,
  peerLog?: () => string): Promise<number> {
  const started = Date.now();
  let last = 'none';
  try {
    await waitFor(async () => (last = (await watcher.buddies()).find((b) => b.buddy === buddy)?.basic ?? 'none') === basic, timeoutMs, 'not yet');
  } catch {
    throw new Error(`${what}: the watcher sees ${buddy} ${last}, not ${basic}${peerLog ? `\n${peerLog().slice(-4000)}` : ''}`);
  }
  return Date.now() - started;
}

/**
 * Waits until a peer's own view (`read`, e.g. finch's buddy list) says `state`; on failure the error
 * names the peer, what it showed instead and the tail of its log.
 */
export async function peerShows(peer: string, read: () => Promise<string>, state: string, timeoutMs: number, what: string,
  peerLog: () => string): Promise<void> {
  let last = '';
  try {
    await waitFor(async () => (last = await read()) === state, timeoutMs, 'not yet');
  } catch {
    throw new Error(`${what}: ${peer} shows ${last || '(no answer)'}, not ${state}\n${peerLog().slice(-4000)}`);
  }
}

/**
 * `user` (not yet registered) registers and publishes open, publishes closed, open again, then closes
 * (un-PUBLISH, un-REGISTER); `peerSees(online, what)` checks the watching peer's view after each step.
 */
export async function walkPresence(user: UserAgent, peerSees: (online: boolean, what: string) => Promise<void>): Promise<void> {
  await peerSees(false, 'not registered');
  await user.register();
  await user.setPresence({ basic: 'open', note: 'at my desk' });
  await peerSees(true, 'registered and published open');
  await user.setPresence({ basic: 'closed' });
  await peerSees(false, 'published closed');
  await user.setPresence({ basic: 'open' });
  await peerSees(true, 'published open again');
  await user.close();
  await peerSees(false, 'closed (un-PUBLISH, un-REGISTER)');
}
