/**
 * parseModelInfo on untrusted metadata: name lookups must find only what the file gives (fuzz
 * onnx-thresholds-constructor: a label named "constructor" with thresholds {} got Object as its threshold).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../src/errors.js';
import { parseModelInfo } from '../../src/infer/metadata.js';

const BASE = { sampling_rate: 500, leads: ['I'], window: { samples: 1000 } };
const info = (labels: string[], thresholds: unknown) =>
  parseModelInfo({ ...BASE, labels, thresholds } as Record<string, unknown>, 'm.onnx');

test('labels named like Object.prototype properties get the default threshold, not a function', () => {
  const labels = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf', 'AF'];
  for (const thresholds of [{}, undefined, { AF: 0.3 }]) {
    const got = info(labels, thresholds).thresholds;
    assert.deepEqual(got, [0.5, 0.5, 0.5, 0.5, 0.5, thresholds?.AF ?? 0.5], JSON.stringify(thresholds));
  }
  // Own entries, even under those names, are read (JSON.parse makes "__proto__" an own key).
  const parsed = JSON.parse('{"constructor": 0.2, "__proto__": 0.7, "toString": null}') as unknown;
  assert.deepEqual(info(labels, parsed).thresholds, [0.2, 0.5, 0.5, 0.7, 0.5, 0.5]);
  // Which thresholds are that fallback (none chosen, or null), for reports that show them.
  assert.deepEqual(info(labels, parsed).unchosenThresholds, ['toString', 'hasOwnProperty', 'valueOf', 'AF']);
  assert.deepEqual(info(labels, { AF: 0.3 }).unchosenThresholds, labels.slice(0, 5));
});

test('a threshold that is not a probability is a ConfigError naming the file and the label', () => {
  // zod's record drops a "__proto__" key without checking it: the lookup checks the value itself.
  for (const [text, got] of [
    ['{"__proto__": {"x": 1}}', 'an object'],
    ['{"__proto__": "0.5"}', 'a string'],
    ['{"__proto__": 2}', '2'],
    ['{"__proto__": [0.5]}', 'a list'],
  ] as const) {
    assert.throws(
      () => info(['__proto__', 'AF'], JSON.parse(text)),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          `m.onnx: model metadata is not usable (thresholds.__proto__: must be a probability between 0 and 1 or null, got ${got})`,
      text,
    );
  }
  // Other keys are checked by the schema, as before.
  assert.throws(
    () => info(['constructor'], { constructor: 'x' }),
    (e: unknown) => e instanceof ConfigError && /thresholds\.constructor/.test(e.message),
  );
});
