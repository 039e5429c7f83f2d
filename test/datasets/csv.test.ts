import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, parseCsvObjects, parsePythonNumberDict } from '../../src/datasets/csv.js';
import { FormatError } from '../../src/errors.js';

test('parseCsv handles quotes, doubled quotes, embedded newlines, CRLF and a BOM', () => {
  const text = '\ufeffa,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\r\n\r\n';
  assert.deepEqual(parseCsv(text, 't.csv'), [
    ['a', 'b', 'c'],
    ['1', 'x, y', 'say "hi"'],
    ['2', 'two\nlines', ''],
  ]);
});

test('parseCsv: last line without newline, unterminated quote is a FormatError naming the file', () => {
  assert.deepEqual(parseCsv('a,b\n1,2', 't.csv'), [
    ['a', 'b'],
    ['1', '2'],
  ]);
  assert.throws(
    () => parseCsv('a,b\n1,"oops\n', 'bad.csv'),
    (error: unknown) => {
      assert.ok(error instanceof FormatError);
      assert.match(error.message, /^bad\.csv: unterminated quoted field starting on line 2/);
      return true;
    },
  );
});

test('parseCsvObjects checks columns and field counts', () => {
  assert.deepEqual(parseCsvObjects('x,y\n1,2\n', 'o.csv', ['x']), [{ x: '1', y: '2' }]);
  assert.throws(() => parseCsvObjects('x,y\n1,2\n', 'o.csv', ['z']), /o\.csv: missing column\(s\) z/);
  assert.throws(
    () => parseCsvObjects('x,y\n1,2,3\n', 'o.csv'),
    /o\.csv: row 2 has 3 fields, the header has 2/,
  );
  assert.throws(() => parseCsvObjects('', 'e.csv'), /e\.csv: empty CSV file/);
});

test('parsePythonNumberDict reads PTB-XL scp_codes', () => {
  assert.deepEqual(
    [...parsePythonNumberDict("{'NORM': 100.0, 'LVOLT': 0.0, 'SR': 0.0}", 's')],
    [
      ['NORM', 100],
      ['LVOLT', 0],
      ['SR', 0],
    ],
  );
  assert.deepEqual(
    [...parsePythonNumberDict('{\'RAO/RAE\': 50.0, "NST_": 1e2}', 's')],
    [
      ['RAO/RAE', 50],
      ['NST_', 100],
    ],
  );
  assert.equal(parsePythonNumberDict('{}', 's').size, 0);
  assert.throws(
    () => parsePythonNumberDict("{'NORM': high}", 'db.csv (ecg_id 3)'),
    /^FormatError: db\.csv \(ecg_id 3\): bad dict item/,
  );
  assert.throws(() => parsePythonNumberDict("['NORM']", 's'), FormatError);
});

test('parsePythonNumberDict: a long run of digits is refused at once, not after quadratic backtracking (fuzz ptbxl-scp-redos)', () => {
  const digits = '1'.repeat(60_000);
  const started = performance.now();
  assert.throws(
    () => parsePythonNumberDict(`{'NORM': ${digits}x}`, 'ptbxl_database.csv (ecg_id 1 scp_codes)'),
    (error: unknown) =>
      error instanceof FormatError &&
      /^ptbxl_database\.csv \(ecg_id 1 scp_codes\): dict item of 60009 characters \(at most 200\)/.test(
        error.message,
      ) &&
      error.message.length < 400,
  );
  assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  // Under the cap, the number pattern is linear: a 190-digit run that fails still fails fast, and every number form
  // the old pattern read still reads.
  assert.throws(() => parsePythonNumberDict(`{'A': ${'1'.repeat(190)}x}`, 's'), /bad dict item/);
  assert.deepEqual(
    [...parsePythonNumberDict("{'A': 1., 'B': .5, 'C': -2.5e1, 'D': +3, 'E': 100.0}", 's')],
    [
      ['A', 1],
      ['B', 0.5],
      ['C', -25],
      ['D', 3],
      ['E', 100],
    ],
  );
  assert.throws(() => parsePythonNumberDict("{'A': .}", 's'), /bad dict item/);
  assert.throws(() => parsePythonNumberDict("{'A': 1.2.3}", 's'), /bad dict item/);
});
