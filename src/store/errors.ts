// Store errors carry a code so callers (server start-up, ctl) can tell an operator what to fix
// without parsing SQLite messages.

export type StoreErrorCode =
  /** Options are missing or wrong (e.g. sqlite without dataDir). */
  | 'CONFIG'
  /** The data directory cannot be created or written. */
  | 'NOT_WRITABLE'
  /** Another process (another simplesip server) holds the database. */
  | 'LOCKED'
  /** The file is not a SQLite database, or a newer simplesip wrote its schema. */
  | 'INCOMPATIBLE'
  /** The store was closed. */
  | 'CLOSED'
  /** A read or write failed (disk full, I/O error, ...). */
  | 'IO';

export class StoreError extends Error {
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/**
 * Seconds a client is asked to wait (Retry-After with the 500, RFC 3261 21.5.1) before repeating a
 * request whose write the store refused. A full disk or an I/O error lasts until an operator acts:
 * retries within seconds would only repeat the failing write (and its digest round trip) from every
 * client, while a minute brings a client that honours it back within a minute of the fix. Meanwhile
 * what it had (a binding, a publication, a subscription) stays as it was: the refused write changed nothing.
 */
export const STORE_RETRY_AFTER_SECONDS = 60;

export function closedError(): StoreError {
  return new StoreError('CLOSED', 'the store is closed');
}

/** better-sqlite3 errors are SqliteError with a `code` such as SQLITE_BUSY. */
export function sqliteCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
