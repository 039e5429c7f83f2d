/**
 * Patient group names become ONNX input names with '-' as '_' (patient_<name>_values): two groups that would share
 * an input are refused when the config is validated, naming both, not late in the export.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { fusionConfig, numericGroup, sexGroup } from '../../src/models/fusion/config.js';

test('fusion groups "a-b" and "a_b" (the same ONNX input name) are a ConfigError naming both', () => {
  assert.throws(
    () =>
      fusionConfig({
        leads: 1,
        classes: 2,
        variant: 'w0.25',
        dModel: 16,
        heads: 2,
        groups: [numericGroup('a-b', ['x']), sexGroup(), numericGroup('a_b', ['y'])],
      }),
    (e: unknown) =>
      e instanceof ConfigError && /"a-b" and "a_b"/.test(e.message) && /patient_a_b_values/.test(e.message),
  );
  // Names that stay apart in ONNX are fine.
  const config = fusionConfig({
    leads: 1,
    classes: 2,
    variant: 'w0.25',
    dModel: 16,
    heads: 2,
    groups: [numericGroup('a-b', ['x']), numericGroup('ab', ['y'])],
  });
  assert.deepEqual(
    config.groups.map((g) => g.name),
    ['a-b', 'ab'],
  );
});
