import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skippedByReason } from '../../src/datasets/types.js';

test('skippedByReason groups reasons named like Object.prototype members as any other reason', () => {
  // A cached dataset's skipped reasons are read from its index file: "__proto__" made `groups[reason] ??= []` find
  // Object.prototype and throw a TypeError on push.
  const groups = skippedByReason([
    { id: 'a', reason: '__proto__' },
    { id: 'b', reason: 'constructor' },
    { id: 'c', reason: '__proto__' },
    { id: 'd', reason: 'record files missing' },
  ]);
  assert.deepEqual(Object.entries(groups), [
    ['__proto__', ['a', 'c']],
    ['constructor', ['b']],
    ['record files missing', ['d']],
  ]);
});
