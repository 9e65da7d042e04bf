// A stream peer that handles one SIP message per read() (libpurple's SIMPLE, User-Agent Purple/...)
// still gets every message we send it: writes to it are paced (all but the last octet, then the last
// octet 50 ms later), so two messages do not complete in one of its reads, and a message left
// waiting in its buffer is handled on the next message's first part. Other peers are not paced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { SipMessage } from '../../src/sip/message.js';
import { OneMessagePerReadDetector } from '../../src/transport/one-message-per-read.js';
import type { SocketIdentity } from '../../src/transport/types.js';
import { manager, nextEvent, sleep, sipText } from './wire.js';

type Msg = [SipMessage, SocketIdentity];

/**
 * libpurple's process_input(), in short: each read appends to a buffer, leading CRLFs are stripped,
 * and only the first complete message of the buffer is handled; the rest waits for the next read.
 */
class OneMessagePerReadPeer {
  private buffer = '';
  readonly handled: string[] = [];
  /** The bytes of each read, as they came. */
  readonly reads: string[] = [];

  /** While stalled, what arrives piles up as in a socket buffer nobody reads. */
  private stalled: string[] | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      if (this.stalled !== undefined) this.stalled.push(chunk.toString('latin1'));
      else this.read(chunk.toString('latin1'));
    });
    socket.on('error', () => {});
  }

  /** Does not read for `ms`, then reads everything that arrived meanwhile at once. */
  async stall(ms: number): Promise<void> {
    this.stalled = [];
    await sleep(ms);
    const data = this.stalled.join('');
    this.stalled = undefined;
    if (data.length > 0) this.read(data);
  }

  private read(data: string): void {
    this.reads.push(data);
    this.buffer = (this.buffer + data).replace(/^[\r\n]+/, '');
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/\r\nContent-Length: *(\d+)/i.exec(this.buffer.slice(0, end))?.[1] ?? 0);
    if (this.buffer.length < end + 4 + length) return;
    this.handled.push(this.buffer.slice(0, end + 4 + length));
    this.buffer = this.buffer.slice(end + 4 + length);
  }

  static open(port: number): Promise<OneMessagePerReadPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new OneMessagePerReadPeer(socket)));
      socket.once('error', reject);
    });
  }

  get port(): number {
    return this.socket.localPort as number;
  }
}

function register(port: number, agent: string | undefined): string {
  return sipText([
    'REGISTER sip:127.0.0.1 SIP/2.0', `Via: SIP/2.0/TCP 127.0.0.1:${port};branch=z9hG4bKreg${port}`,
    'From: <sip:alice@127.0.0.1>;tag=a1', 'To: <sip:alice@127.0.0.1>', `Call-ID: reg-${port}`, 'CSeq: 1 REGISTER',
    `Contact: <sip:alice@127.0.0.1:${port};transport=tcp>`, 'Max-Forwards: 70',
    ...(agent === undefined ? [] : [`User-Agent: ${agent}`]), 'Content-Length: 0',
  ]);
}

function notify(n: number, body = ''): Buffer {
  return Buffer.from(sipText([
    'NOTIFY sip:alice@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKpaced${n}`,
    'From: <sip:bob@127.0.0.1>;tag=b1', 'To: <sip:alice@127.0.0.1>;tag=a1',
    'Call-ID: paced-test', `CSeq: ${n} NOTIFY`, 'Max-Forwards: 70', `Content-Length: ${body.length}`,
  ], body), 'latin1');
}

/** A manager listening on TCP, a peer that said `agent`, and a way to send on its connection. */
async function connected(t: { after: (fn: () => unknown) => void }, agent: string | undefined) {
  const tm = manager();
  t.after(() => tm.close());
  const info = await tm.listen('tcp:127.0.0.1:0');
  const peer = await OneMessagePerReadPeer.open(info.port);
  t.after(() => peer.socket.destroy());
  const got = nextEvent<Msg>(tm, 'message');
  peer.socket.write(register(peer.port, agent));
  const [, source] = await got;
  const send = (data: Buffer): Promise<unknown> =>
    tm.send({ protocol: 'tcp', address: '127.0.0.1', port: peer.port, connectionId: source.connectionId }, data);
  return { peer, send };
}

const cseqs = (peer: OneMessagePerReadPeer): string[] => peer.handled.map((m) => /\r\nCSeq: *([^\r]+)/i.exec(m)?.[1] ?? '');

test('libpurple: two messages written back to back are both handled although the peer reads late', async (t) => {
  const { peer, send } = await connected(t, 'Purple/2.14.12');
  // The peer is slow to read (20 ms): unpaced, both messages would sit in its first read.
  const sent = Promise.all([send(notify(1)), send(notify(2, 'two'))]);
  await peer.stall(20);
  await sent;
  await waitUntil(() => peer.handled.length === 2, 1000, () => `handled ${cseqs(peer).join(', ')}`);
  assert.deepEqual(cseqs(peer), ['1 NOTIFY', '2 NOTIFY']);
  assert.ok(peer.handled[1].endsWith('\r\n\r\ntwo'));
});

test('libpurple: a message left waiting in its buffer is handled when the next one starts', async (t) => {
  const { peer, send } = await connected(t, 'Purple/2.14.12');
  // A peer that did not read for longer than two gaps gets two complete messages in one read.
  const sent = Promise.all([send(notify(1)), send(notify(2))]);
  await peer.stall(250);
  await sent;
  await sleep(50);
  assert.deepEqual(cseqs(peer), ['1 NOTIFY'], 'the peer handles one message of that read');
  await send(notify(3));
  await waitUntil(() => peer.handled.length === 3, 1000, () => `handled ${cseqs(peer).join(', ')}`);
  assert.deepEqual(cseqs(peer), ['1 NOTIFY', '2 NOTIFY', '3 NOTIFY']);
});

test('other peers are not paced: two messages go out together', async (t) => {
  for (const agent of ['baresip v1.0.0', undefined]) {
    const { peer, send } = await connected(t, agent);
    const sent = Promise.all([send(notify(1)), send(notify(2))]);
    await peer.stall(20);
    await sent;
    await waitUntil(() => peer.reads.join('').includes('CSeq: 2 NOTIFY'), 1000, () => 'second NOTIFY not received');
    // Paced, the first message's last octet would come 50 ms after the rest, and the second after it:
    // unpaced, both are whole in the peer's socket buffer at once, and one read takes them together
    // (a check of what arrives, not of how long it took, which a loaded machine stretches).
    assert.ok(peer.reads.some((r) => r.includes('CSeq: 1 NOTIFY') && r.endsWith(notify(2).toString('latin1'))),
      `${agent}: both messages in one read (reads: ${peer.reads.map((r) => r.length).join(', ')} bytes)`);
  }
});

test('the detector decides on the first User-Agent or Server header, and gives up after four messages', () => {
  const withAgent = (agent: string): Buffer => Buffer.from(register(5060, agent), 'latin1');
  assert.equal(new OneMessagePerReadDetector().examine(withAgent('Purple/2.14.12')), true);
  assert.equal(new OneMessagePerReadDetector().examine(withAgent('Linphone/5.2')), false);
  const response = Buffer.from('SIP/2.0 200 OK\r\nServer: Purple/2.10.9\r\nContent-Length: 0\r\n\r\n', 'latin1');
  assert.equal(new OneMessagePerReadDetector().examine(response), true);
  // A body that mentions the header is not a header.
  const inBody = Buffer.from(sipText(['MESSAGE sip:a@b SIP/2.0', 'Content-Length: 26'], '\r\nUser-Agent: Purple/2.14.1'), 'latin1');
  const detector = new OneMessagePerReadDetector();
  assert.deepEqual([1, 2, 3, 4].map(() => detector.examine(inBody)), [undefined, undefined, undefined, false]);
});

async function waitUntil(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await sleep(10);
  }
}
