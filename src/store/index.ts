// Storage entry point (docs/internals.md, store/).
import { StoreError } from './errors.js';
import { openMemoryStore } from './memory-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { StoreHandle, StoreOptions } from './types.js';

export type * from './types.js';
export { StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { DATABASE_FILE } from './sqlite-store.js';
export { SCHEMA_VERSION } from './migrations.js';

/**
 * Opens the store of `options.kind`. Rejects with a StoreError (code CONFIG, NOT_WRITABLE, LOCKED,
 * INCOMPATIBLE, IO) whose message names the directory or file and what is wrong.
 */
export async function openStore(options: StoreOptions): Promise<StoreHandle> {
  switch (options.kind) {
    case 'memory':
      return openMemoryStore();
    case 'sqlite':
      return openSqliteStore(options);
    default:
      throw new StoreError('CONFIG', `unknown store kind ${String((options as { kind: unknown }).kind)}`);
  }
}
