/** Bootstrap intervals: seeded, percentile method (numpy's linear quantiles), record or group resampling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { bootstrap, quantile, seededRandom } from '../../src/eval/bootstrap.js';
import { MetricError } from '../../src/errors.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/eval/eval.json', import.meta.url), 'utf8')) as {
  quantiles: { values: number[]; q: number[]; expected: number[] };
};

test('quantile matches numpy.percentile (linear interpolation)', () => {
  const sorted = Float64Array.from(fixture.quantiles.values).sort();
  fixture.quantiles.q.forEach((q, i) => {
    const expected = fixture.quantiles.expected[i]!;
    assert.ok(Math.abs(quantile(sorted, q) - expected) <= 1e-12, `q=${q}`);
  });
});

const values = Array.from({ length: 200 }, (_, i) => Math.sin(i) * 3 + (i % 7));
const mean = (indices: Uint32Array) => indices.reduce((sum, i) => sum + values[i]!, 0) / indices.length;

test('same seed, same interval; another seed, another; the interval brackets the estimate', () => {
  const a = bootstrap(values.length, (ix) => ({ mean: mean(ix) }), { resamples: 300, seed: 5 });
  const b = bootstrap(values.length, (ix) => ({ mean: mean(ix) }), { resamples: 300, seed: 5 });
  const c = bootstrap(values.length, (ix) => ({ mean: mean(ix) }), { resamples: 300, seed: 6 });
  assert.deepEqual(a.intervals, b.intervals);
  assert.notDeepEqual(a.intervals, c.intervals);
  const [lower, upper] = a.intervals.mean!;
  assert.ok(lower < a.estimate.mean && a.estimate.mean < upper);
  // Normal-theory half width 1.96 * sd / sqrt(n): the percentile interval should be close to it.
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - a.estimate.mean) ** 2, 0) / values.length);
  const expectedHalf = (1.96 * sd) / Math.sqrt(values.length);
  assert.ok(
    Math.abs((upper - lower) / 2 / expectedHalf - 1) < 0.2,
    `half width ${(upper - lower) / 2} vs ${expectedHalf}`,
  );
  const u = seededRandom(1);
  for (let i = 0; i < 1000; i++) {
    const x = u();
    assert.ok(x >= 0 && x < 1);
  }
});

test('groups are resampled whole; undefined leaves are counted, not averaged', () => {
  const groups = Array.from({ length: 30 }, (_, i) => `p${Math.floor(i / 3)}`);
  let checked = 0;
  const result = bootstrap(
    30,
    (ix) => {
      const perGroup = new Map<string, number>();
      for (const i of ix) perGroup.set(groups[i]!, (perGroup.get(groups[i]!) ?? 0) + 1);
      for (const count of perGroup.values())
        assert.equal(count % 3, 0, 'a patient is drawn with all its beats');
      checked++;
      const hasFirst = ix.includes(0);
      return { size: ix.length, firstShare: hasFirst ? 1 : null };
    },
    { resamples: 50, seed: 1, groups },
  );
  assert.equal(checked, 51);
  assert.deepEqual(result.intervals.size, [30, 30]);
  assert.ok((result.undefinedResamples.firstShare ?? 0) > 0, 'some resamples miss patient p0');
  assert.throws(
    () => bootstrap(3, () => 1, { groups: ['a'] }),
    (e) => e instanceof MetricError && /options.groups/.test(e.message),
  );
  assert.throws(() => bootstrap(3, () => 1, { level: 1.5 }), MetricError);
  assert.throws(
    () => bootstrap(3, () => 'x' as unknown as number),
    (e) => e instanceof MetricError && /string/.test(e.message),
  );
});

test('a patient with 300,000 records is one resampling unit (no call-stack overflow, no quadratic grouping)', () => {
  const count = 300_000;
  const groups = Array.from({ length: count }, (_, i) => (i < count - 2 ? 'holter' : `p${i}`));
  // Every resample draws 3 units out of {holter, p299998, p299999}: its size says how often holter was drawn.
  const sizes = [0, 1, 2, 3].map((holters) => holters * (count - 2) + (3 - holters));
  const drawn: number[] = [];
  bootstrap(count, (ix) => (drawn.push(ix.length), { size: ix.length }), { resamples: 3, seed: 2, groups });
  assert.equal(drawn.length, 4);
  assert.equal(drawn[0], count);
  for (const size of drawn.slice(1)) assert.ok(sizes.includes(size), `resample of ${size} records`);
});
