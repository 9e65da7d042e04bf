// AuthorizationPolicy and a store that refuses a write (a full disk): `ctl presence allow|block`
// fails, and the decision it asked for is not in force, in memory as on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthorizationPolicy } from '../../src/presence/authorization-policy.js';
import { StoreError } from '../../src/store/index.js';
import type { PresenceRuleRepository } from '../../src/store/types.js';

const BOB = 'sip:bob@example.com';
const EVE = 'sip:eve@other.org';

test('a rule the store refuses is not in force: the watcher stays pending', async () => {
  const full = (): Promise<never> => Promise.reject(new StoreError('IO', 'store write failed: database or disk is full'));
  const repository: PresenceRuleRepository = { all: async () => [], put: full, remove: full };
  const policy = new AuthorizationPolicy(repository);
  await assert.rejects(policy.set(BOB, EVE, 'allow'), StoreError);
  assert.equal(policy.decide(BOB, EVE), 'pending');
});
