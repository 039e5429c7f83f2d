import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatError } from '../../../src/errors.js';
import { delineate, isBeatCode, parseAnnotations } from '../../../src/io/wfdb/annotations.js';
import { fixture, golden } from './helpers.js';

/** Little-endian 16-bit words (type code in the top 6 bits, interval in the low 10). */
const words = (...values: number[]) => new Uint8Array(Uint16Array.from(values).buffer);
const ann = (code: number, interval: number) => (code << 10) | interval;

describe('MIT-format annotations against the numpy reference', () => {
  for (const [file, expected] of Object.entries(golden.annotations)) {
    it(`${file}: ${expected.count} annotations, same times, codes, AUX and subtypes`, () => {
      const list = parseAnnotations(fixture(file), file);
      assert.equal(list.length, expected.count);
      assert.deepEqual(
        list.map((a) => a.sample),
        expected.samples,
      );
      const codes: Record<string, number> = {};
      for (const a of list) codes[a.code] = (codes[a.code] ?? 0) + 1;
      assert.deepEqual(codes, expected.codes);
      assert.deepEqual(
        list.flatMap((a, k) => (a.aux === null ? [] : [[k, a.aux]])),
        expected.aux,
      );
      assert.deepEqual(
        list.flatMap((a, k) => (a.subtype ? [[k, a.subtype]] : [])),
        expected.subtypes,
      );
    });
  }

  it('MIT-BIH 208 excerpt: beat mnemonics and the opening rhythm label', () => {
    const list = parseAnnotations(fixture('208x.atr'), '208x.atr');
    assert.deepEqual(list[0]!.symbol, '+');
    assert.deepEqual(list[0]!.aux, '(N');
    const counts: Record<string, number> = {};
    for (const a of list) counts[a.symbol] = (counts[a.symbol] ?? 0) + 1;
    assert.deepEqual(counts, { '+': 1, N: 64, V: 30, F: 12, '~': 4 });
    assert.equal(list.filter((a) => isBeatCode(a.code)).length, 106);
  });
});

describe('MIT-format pseudo-annotations', () => {
  it('SKIP adds a 32-bit interval (high word first), NUM and CHN carry over, SUB applies once, AUX is padded', () => {
    const bytes = new Uint8Array([
      ...words(ann(59, 0), 0x0001, 0x0002, ann(1, 5)), // SKIP 65538, then N after 5 more
      ...words(ann(60, 7), ann(61, 3), ann(62, 2)), // NUM 7, SUB 3, CHN 2 on that N
      ...words(ann(28, 10), ann(63, 5)),
      ...[0x28, 0x41, 0x46, 0x49, 0x42, 0], // "(AFIB" + pad byte
      ...words(ann(5, 1), 0),
    ]);
    const list = parseAnnotations(bytes, 'x.atr');
    assert.deepEqual(
      list.map((a) => [a.sample, a.symbol, a.num, a.subtype, a.chan, a.aux]),
      [
        [65543, 'N', 7, 3, 2, null],
        [65553, '+', 7, 0, 2, '(AFIB'],
        [65554, 'V', 7, 0, 2, null],
      ],
    );
  });

  it('stops at the zero word and accepts a file without one; unknown codes get a [code] mnemonic', () => {
    assert.equal(parseAnnotations(words(ann(1, 1), 0, ann(1, 1)), 'x').length, 1);
    assert.deepEqual(
      parseAnnotations(words(ann(50, 3)), 'x').map((a) => a.symbol),
      ['[50]'],
    );
  });

  const bad: Array<[string, Uint8Array, RegExp]> = [
    ['modifier first', words(ann(61, 1)), /SUB before any annotation/],
    ['AUX past the end', words(ann(1, 1), ann(63, 40)), /AUX string runs past the end/],
    ['SKIP cut short', words(ann(59, 0), 1), /SKIP without its 4-byte interval/],
    ['negative time', words(ann(59, 0), 0xffff, 0xfff0, ann(1, 0)), /negative time/],
    ['odd length', Uint8Array.of(1, 4, 7), /odd number of bytes/],
  ];
  for (const [what, bytes, message] of bad) {
    it(`rejects ${what} with a FormatError naming the file`, () => {
      assert.throws(
        () => parseAnnotations(bytes, 'bad.atr'),
        (e: unknown) =>
          e instanceof FormatError && e.message.startsWith('bad.atr: ') && message.test(e.message),
      );
    });
  }
});

describe('LUDB delineation', () => {
  it('turns ( peak ) triples into P, QRS and T waves', () => {
    const d = delineate(parseAnnotations(fixture('1.i'), '1.i'));
    assert.deepEqual([d.p.length, d.qrs.length, d.t.length], [5, 6, 5]);
    assert.deepEqual(d.qrs[0], { onset: 641, peak: 664, offset: 690 });
    assert.deepEqual(d.t[0], { onset: 773, peak: 840, offset: 887 });
    assert.deepEqual(d.p[0], { onset: 1252, peak: 1282, offset: 1301 });
  });

  it('leaves a missing bracket as null', () => {
    const d = delineate(parseAnnotations(words(ann(24, 10), ann(40, 5), ann(39, 5), ann(1, 5)), 'x'));
    assert.deepEqual(d.p, [{ onset: null, peak: 10, offset: 15 }]);
    assert.deepEqual(d.qrs, [{ onset: 20, peak: 25, offset: null }]);
  });
});
