// Group commit: every write queued during one turn of the event loop is applied in one SQLite
// transaction, flushed from setImmediate (the check phase, after the I/O callbacks that queued them).
// One commit then costs one WAL append (and one fsync with synchronous=FULL) for the whole batch,
// while each caller still learns only after the commit that its change is durable.
import type { Database, Statement } from 'better-sqlite3';
import { StoreError, errorMessage } from './errors.js';

interface QueuedOp {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export interface GroupCommitOptions {
  /** One transaction per operation: only the benchmark's baseline wants this. */
  perOperation?: boolean;
  /** Milliseconds a batch waits for more writes before it commits (0: at the end of the turn). */
  windowMs?: number;
}

export class GroupCommitter {
  private queue: QueuedOp[] = [];
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private readonly begin: Statement;
  private readonly commit: Statement;
  private readonly rollback: Statement;
  private readonly perOperation: boolean;
  private readonly windowMs: number;
  transactions = 0;
  writes = 0;

  constructor(private readonly db: Database, options: GroupCommitOptions = {}) {
    this.begin = db.prepare('BEGIN');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.perOperation = options.perOperation ?? false;
    this.windowMs = options.windowMs ?? 0;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Queues `run` (executed inside the batch transaction); resolves with its result after COMMIT. */
  enqueue<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.scheduled ??= this.windowMs > 0 ? setTimeout(() => this.flush(), this.windowMs) : setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued now (also called by reads and close, so they see earlier writes). */
  flush(): void {
    this.unschedule();
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    if (this.perOperation || batch.length === 1) {
      for (const op of batch) this.runAlone(op);
      return;
    }
    const results = new Array<unknown>(batch.length);
    try {
      this.begin.run();
      for (let i = 0; i < batch.length; i++) results[i] = batch[i].run();
      this.commit.run();
    } catch {
      this.abort();
      // One bad operation must not fail its neighbours: replay them one transaction each, so only
      // the culprit rejects (and a disk-full or I/O error rejects each with its own error).
      for (const op of batch) this.runAlone(op);
      return;
    }
    this.transactions++;
    this.writes += batch.length;
    for (let i = 0; i < batch.length; i++) batch[i].resolve(results[i]);
  }

  /** Rejects everything still queued (the database is going away). */
  failPending(err: Error): void {
    const batch = this.queue;
    this.queue = [];
    this.unschedule();
    for (const op of batch) op.reject(err);
  }

  private unschedule(): void {
    if (this.scheduled === undefined) return;
    if (this.windowMs > 0) clearTimeout(this.scheduled as NodeJS.Timeout);
    else clearImmediate(this.scheduled as NodeJS.Immediate);
    this.scheduled = undefined;
  }

  private runAlone(op: QueuedOp): void {
    let result: unknown;
    try {
      this.begin.run();
      result = op.run();
      this.commit.run();
    } catch (err) {
      this.abort();
      op.reject(err instanceof StoreError ? err : new StoreError('IO', `store write failed: ${errorMessage(err)}`, { cause: err }));
      return;
    }
    this.transactions++;
    this.writes++;
    op.resolve(result);
  }

  private abort(): void {
    // COMMIT can fail after BEGIN succeeded (SQLITE_FULL, SQLITE_IOERR): leave no transaction open.
    if (this.db.inTransaction) {
      try {
        this.rollback.run();
      } catch {
        // SQLite may already have rolled back on its own; nothing more to undo.
      }
    }
  }
}
