// The streamed location dump: batches, backpressure, yielding to the event loop, a reader that leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { ControlServer } from '../../src/control/control-server.js';
import { writeBindingDump } from '../../src/control/ul-dump.js';
import { fakeContext, SyntheticLocation } from './fake-context.js';

/** A writer that accepts one chunk at a time and finishes it only when told to. */
class SlowWriter extends Writable {
  chunks = 0;
  lines = 0;
  private pending: (() => void) | undefined;

  constructor() {
    super({ highWaterMark: 1 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks++;
    this.lines += chunk.toString().split('\n').length - 1;
    this.pending = done;
  }

  release(): void {
    const done = this.pending;
    this.pending = undefined;
    done?.();
  }
}

test('the dump waits for the writer to drain: it reads no further ahead than one batch', async () => {
  const location = new SyntheticLocation(10_000);
  const out = new SlowWriter();
  const dump = writeBindingDump(location.entries(), out, 100);
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(location.pulled <= (i + 1) * 100 + 1, `pulled ${location.pulled} after ${i + 1} chunks`);
    out.release();
  }
  const release = setInterval(() => out.release(), 0);
  const result = await dump;
  clearInterval(release);
  assert.deepEqual(result, { bindings: 10_000, complete: true });
  assert.equal(out.lines, 10_000);
});

test('the dump yields to the event loop between batches', async () => {
  const location = new SyntheticLocation(20_000);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const sink = new Writable({ write: (_c, _e, done) => done() });
  let immediates = 0;
  const count = (): void => {
    immediates++;
    if (location.pulled < 20_000) setImmediate(count);
  };
  setImmediate(count);
  await writeBindingDump(location.entries(), sink, 500);
  clearInterval(timer);
  // 40 batches: other callbacks ran between them, not only after the whole dump.
  assert.ok(immediates >= 30, `only ${immediates} turns of the loop during the dump`);
});

test('a reader that hangs up stops the dump: the rest of the table is not read', async () => {
  const location = new SyntheticLocation(1_000_000);
  const server = new ControlServer(fakeContext(location), { dumpBatch: 1000 });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  try {
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/ul' }, (res) => {
        res.once('data', () => {
          res.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
    await new Promise((r) => setTimeout(r, 200));
    const pulled = location.pulled;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(location.pulled, pulled, 'still reading after the reader left');
    assert.ok(pulled < 1_000_000, `read ${pulled} bindings for a reader that left`);
  } finally {
    await server.close();
  }
});
