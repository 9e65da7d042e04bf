// Shared setup for UserAgent tests: short RFC 3261 timers, an ephemeral port, a throw-away state dir.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { UserAgent, type UserAgentOptions } from '../../src/index.js';
import { ScriptedPeer, type Script } from './scripted-peer.js';

export const FAST_TIMERS = { t1: 10, t2: 80, t4: 100 };

export function newUa(server: string, extra: Partial<UserAgentOptions> = {}): UserAgent {
  return new UserAgent({
    aor: 'sip:alice@example.com', password: 'secret', server,
    localPorts: { min: 0, max: 0 }, stateDir: mkdtempSync(join(tmpdir(), 'simplesip-ua-')),
    timers: FAST_TIMERS, networkCheckIntervalMs: 0, closeTimeoutMs: 500, ...extra,
  });
}

/** host and port of a SIP URI such as the UA's Contact. */
export function hostPort(uri: string): { address: string; port: number } {
  const m = /@\[?([^\]]+?)\]?:(\d+)/.exec(uri);
  if (m === null) throw new Error(`no host:port in ${uri}`);
  return { address: m[1], port: Number(m[2]) };
}

export function challenge(extra = ''): [string, string] {
  return ['WWW-Authenticate', `Digest realm="example.com", nonce="n${Math.random().toString(36).slice(2)}", qop="auth", algorithm=MD5${extra}`];
}

/** A scripted peer and a UA pointed at it, for all the tests of one file (see scriptedPeerFixture). */
export interface PeerFixture {
  peer: ScriptedPeer;
  ua: UserAgent;
}

/**
 * Starts a ScriptedPeer (answering with `script`) and a UserAgent toward it (newUa with `ua`) before
 * the file's tests, registered when `register` says so, and closes both after them. Its fields are
 * set once the tests run.
 */
export function scriptedPeerFixture(init: { ua?: Partial<UserAgentOptions>; script?: Script; register?: boolean } = {}): PeerFixture {
  const fixture = {} as PeerFixture;
  before(async () => {
    fixture.peer = await ScriptedPeer.start();
    if (init.script !== undefined) fixture.peer.script = init.script;
    fixture.ua = newUa(fixture.peer.uri(), init.ua);
    if (init.register === true) await fixture.ua.register();
  });
  after(async () => {
    await fixture.ua?.close();
    await fixture.peer?.stop();
  });
  return fixture;
}
