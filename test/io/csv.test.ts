import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../../src/errors.js';
import { readCsvRecord } from '../../src/io/csv.js';
import { seededRandom } from '../../src/util/random.js';

const values = (signal: Float32Array | undefined) => Array.from(signal ?? []);

test('header of lead names, comma separated, explicit fs', () => {
  const record = readCsvRecord('I,II,V1\n0.1,0.2,-0.3\n0.5,1.5,2\n', 'dir/rec01.csv', { fs: 250 });
  assert.equal(record.name, 'rec01');
  assert.equal(record.fs, 250);
  assert.deepEqual(record.leads, ['I', 'II', 'V1']);
  assert.deepEqual(record.units, ['mV', 'mV', 'mV']);
  assert.deepEqual(values(record.signals[0]), [Math.fround(0.1), 0.5]);
  assert.deepEqual(values(record.signals[2]), [Math.fround(-0.3), 2]);
  assert.equal(record.metadata.delimiter, ',');
});

test('time column in seconds gives fs; units from the header; semicolons; CRLF; BOM; quotes', () => {
  const rows = Array.from({ length: 721 }, (_, i) => `${(i / 360).toFixed(3)};${i};${-i}`);
  const text = '\uFEFF"Time (s)";"MLII (mV)";"V5 [uV]"\r\n' + rows.join('\r\n') + '\r\n';
  const record = readCsvRecord(text, 'x.csv');
  // 3-decimal time stamps: single steps are 0.003 or 0.002, the span still says 360 Hz.
  assert.equal(record.fs, 360);
  assert.deepEqual(record.leads, ['MLII', 'V5']);
  assert.deepEqual(record.units, ['mV', 'uV']);
  assert.deepEqual(
    values(record.signals[1]),
    rows.map((_, i) => -i + 0),
  );
  assert.equal(record.metadata.timeColumn, 'Time (s)');
});

test('tab separated, millisecond time column, decimal commas, empty and NaN cells become NaN', () => {
  const text = 'ms\tI\tII\n0\t1,5\t\n2\tNaN\t2,25\n4\t-0,5\t3\n';
  const record = readCsvRecord(text, 't.tsv');
  assert.equal(record.fs, 500);
  assert.deepEqual(values(record.signals[0]), [1.5, NaN, -0.5]);
  assert.deepEqual(values(record.signals[1]), [NaN, 2.25, 3]);
});

test('no header: generic lead names, or the given ones; sample index column dropped; trailing delimiter', () => {
  const plain = readCsvRecord('1,2\n3,4\n', 'p.csv', { fs: 100 });
  assert.deepEqual(plain.leads, ['ch1', 'ch2']);
  assert.deepEqual(values(plain.signals[1]), [2, 4]);
  const named = readCsvRecord('1,2,\n3,4,\n', 'p.csv', { fs: 100, leads: ['I', 'II'] });
  assert.deepEqual(named.leads, ['I', 'II']);
  const indexed = readCsvRecord('sample,II\n0,0.5\n1,0.25\n', 'i.csv', { fs: 360 });
  assert.deepEqual(indexed.leads, ['II']);
  assert.deepEqual(values(indexed.signals[0]), [0.5, 0.25]);
});

function assertCsvError(text: string, pattern: RegExp, options = {}) {
  assert.throws(
    () => readCsvRecord(text, 'bad.csv', options),
    (e: unknown) => e instanceof FormatError && e.message.startsWith('bad.csv: ') && pattern.test(e.message),
  );
}

test('clear errors: ragged rows, non-numeric cells, missing fs, inconsistent fs, empty input', () => {
  assertCsvError('I,II\n1,2\n3\n', /line 3 has 1 cells, expected 2/, { fs: 1 });
  assertCsvError('I,II\n1,2\n3,x7\n', /line 3, column 2 \('II'\): "x7" is not a number/, { fs: 1 });
  assertCsvError(
    'I,II\n1,2\n',
    /no time column: give the sampling rate \(--fs HZ on the command line, \{ fs \} in code/,
  );
  assertCsvError('time,I\n0,1\n0.01,2\n0.02,3\n', /implies 100\.000 Hz, not fs=250/, { fs: 250 });
  assertCsvError('time,I\n0,1\n0,2\n', /does not increase/);
  assertCsvError('\n \n', /empty/);
  assertCsvError('I,II\n', /no data rows/, { fs: 1 });
  assertCsvError('1,2\n', /2 lead names for 1 lead columns|1 lead names/, { fs: 1, leads: ['I'] });
  assertCsvError('I\n1\n', /invalid sampling frequency/, { fs: -5 });
});

test('fuzz finding: a 30,000-opener column header is read at once (the unit regex took ~4 s on it)', () => {
  const header = '('.repeat(30_000);
  const record = readCsvRecord(`${header},II [mV]\n1,2\n3,4\n`, 'r.csv', { fs: 250 });
  assert.deepEqual(record.leads, [header, 'II']);
  assert.deepEqual(record.units, ['mV', 'mV']);
});

test('units split from column headers exactly as the former regex did (random headers)', () => {
  const former = (header: string) => {
    const match = /^(.*?)\s*[([]\s*([^)\]]+?)\s*[)\]]$/.exec(header);
    return match && match[1] ? { lead: match[1], unit: match[2]! } : { lead: header, unit: null };
  };
  const random = seededRandom(23);
  const alphabet = ['a', 'V', 'm', ' ', '\u00a0', '\u2028', '(', ')', '[', ']', '(', ')', '1', '.'];
  let withUnits = 0;
  for (let i = 0; i < 3000; i++) {
    const length = 1 + Math.floor(random() * 10);
    const cell = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)])
      .join('')
      .trim();
    if (cell === '' || !Number.isNaN(Number(cell))) continue; // not a header
    const expected = former(cell);
    if (expected.unit !== null) withUnits++;
    const record = readCsvRecord(`${cell}\n1\n2\n`, 'r.csv', { fs: 250, units: 'none' });
    assert.deepEqual(
      { lead: record.leads[0], unit: record.units[0] },
      { lead: expected.lead, unit: expected.unit ?? 'none' },
      JSON.stringify(cell),
    );
  }
  assert.ok(withUnits > 100, `${withUnits} headers with units`);
});

test('fuzz finding: a value float32 cannot hold is refused, naming its column and row (1e39 became Infinity)', () => {
  assertCsvError('I,II\n1,2\n3,1e39\n', /column 'II', data row 2: 1e\+39 is beyond float32's range/, {
    fs: 1,
  });
  assertCsvError('-1e39\n', /column 'ch1', data row 1: -1e\+39/, { fs: 1 });
  assertCsvError('I\nInfinity\n', /column 'I', data row 1: Infinity/, { fs: 1 });
  const record = readCsvRecord('I\n3.4e38\n-3.4e38\n', 'r.csv', { fs: 1 });
  assert.deepEqual(values(record.signals[0]), [Math.fround(3.4e38), Math.fround(-3.4e38)]);
});
