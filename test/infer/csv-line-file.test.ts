/** `--resume` of CSV output reads each line's file back from its first cell: every name a CSV line can quote. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvLineFile } from '../../src/infer/batch.js';
import { csvLine } from '../../src/infer/predict-output.js';

test('the file of a CSV line: plain, with commas, quotes, a quote before a comma, newlines', () => {
  const names = [
    '/d/a.hea',
    '/d/a,b.hea',
    '/d/a"b.hea',
    '/d/a",b.hea',
    '/d/"x".hea',
    '/d/a"",b.hea',
    '",',
    '/d/a\nb.hea',
  ];
  for (const file of names) {
    const line = csvLine({ ok: false, file, error: 'FormatError: x, "y"' }).trimEnd();
    assert.equal(csvLineFile(line), file, line);
  }
});

test('a quoted cell that does not close, or text after its closing quote, is not a line of ours', () => {
  assert.throws(() => csvLineFile('"/d/a.hea,x'), /unterminated/);
  assert.throws(() => csvLineFile('"/d/a"b,x'), /after a closing quote/);
});
