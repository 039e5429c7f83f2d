import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChecksumError, FormatError } from '../../../src/errors.js';
import { WFDB_FORMATS, samplesIn, type WfdbFormat } from '../../../src/io/wfdb/formats.js';
import { parseWfdbHeader } from '../../../src/io/wfdb/header.js';
import { decodeWfdbSignals } from '../../../src/io/wfdb/signals.js';
import { golden, hexBytes } from './helpers.js';

const int16le = (values: number[]) => new Uint8Array(Int16Array.from(values).buffer);
const sum16 = (values: number[]) => ((values.reduce((a, b) => a + b, 0) & 0xffff) << 16) >> 16;

function decode(headerText: string, files: Record<string, Uint8Array>, strict = false) {
  const header = parseWfdbHeader(headerText, 'test.hea');
  return decodeWfdbSignals(header, (name) => files[name]!, 'test.hea', { strict });
}

describe('signal formats: bytes written by the reference encoder', () => {
  for (const [key, { values, hex, initial }] of Object.entries(golden.formats)) {
    const format = Number(key) as WfdbFormat;
    const spec = WFDB_FORMATS[format];
    const bytes = hexBytes(hex);

    it(`format ${format}: ${values.length} samples in ${bytes.length} bytes`, () => {
      assert.equal(spec.bytesFor(values.length), bytes.length);
      assert.equal(samplesIn(spec, bytes.length), values.length);
      const raw = new Int32Array(values.length);
      spec.decode(bytes, raw);
      const digital = spec.difference
        ? raw.map((_, i) => initial + raw.slice(0, i + 1).reduce((a, b) => a + b, 0))
        : raw;
      assert.deepEqual(Array.from(digital), values);
    });

    it(`format ${format}: physical values, invalid code -> NaN, checksum`, () => {
      const text = `t 1 100 ${values.length}\nt.dat ${format} 2(1)/mV 12 0 ${initial} ${sum16(values)} 0 sig\n`;
      const { signals, checksums } = decode(text, { 't.dat': bytes });
      const expected = values.map((v) => (v === spec.invalid ? NaN : Math.fround((v - 1) / 2)));
      assert.deepEqual(Array.from(signals[0]!), expected);
      assert.equal(checksums[0]!.ok, true);
    });
  }

  it('format 8 has no invalid code: -128 is a saturated difference', () => {
    const { signals } = decode('t 1 100 2\nt.dat 8 1 8 0 0\n', { 't.dat': Uint8Array.of(0x80, 0x80) });
    assert.deepEqual(Array.from(signals[0]!), [-128, -256]);
  });
});

describe('frames, files, skew, offsets', () => {
  it('interleaves signals of one file, averages samples per frame, reads a second file', () => {
    // Frame: A A B (A has 2 samples per frame). File b.dat holds C in format 212.
    const a = [10, 20, 1, 30, 50, 2, -7, -7, 3];
    const c = [100, -100, 5];
    const text = [
      'm 3 10 3',
      `a.dat 16x2 10(0)/uV 16 0 0 ${sum16([10, 20, 30, 50, -7, -7])} 0 A`,
      `a.dat 16 1 16 0 0 ${sum16([1, 2, 3])} 0 B`,
      `b.dat 212 2 12 0 0 ${sum16(c)} 0 C`,
    ].join('\n');
    const b212 = Uint8Array.of(100, ((-100 >> 8) & 0x0f) << 4, -100 & 0xff, 5, 0);
    const { signals, checksums, nSamples } = decode(text, { 'a.dat': int16le(a), 'b.dat': b212 });
    assert.equal(nSamples, 3);
    assert.deepEqual(
      Array.from(signals[0]!),
      [1.5, 4, -0.7].map((x) => Math.fround(x)),
    );
    assert.deepEqual(Array.from(signals[1]!), [1, 2, 3]);
    assert.deepEqual(Array.from(signals[2]!), [50, -50, 2.5]);
    assert.ok(checksums.every((c) => c.ok));
  });

  it('averages only the valid samples of a frame; NaN when none is valid', () => {
    const text = 'm 1 10 2\na.dat 16x2 1 16 0\n';
    const { signals } = decode(text, { 'a.dat': int16le([4, -32768, -32768, -32768]) });
    assert.equal(signals[0]![0], 4);
    assert.ok(Number.isNaN(signals[0]![1]));
  });

  it('applies the byte offset and skew (samples past the end become NaN)', () => {
    const text = 'm 2 10 3\na.dat 16+4 1 16 0 0 0 0 A\na.dat 16:1+4 1 16 0 0 0 0 B\n';
    const bytes = new Uint8Array([9, 9, 9, 9, ...int16le([1, 11, 2, 12, 3, 13])]);
    const { signals } = decode(text, { 'a.dat': bytes });
    assert.deepEqual(Array.from(signals[0]!), [1, 2, 3]);
    assert.deepEqual(Array.from(signals[1]!).slice(0, 2), [12, 13]);
    assert.ok(Number.isNaN(signals[1]![2]));
  });

  it('reads format 16 at an odd byte offset (no aligned view possible) and in a sub-array', () => {
    const text = 'm 1 10 2\na.dat 16+1 1 16 0\n';
    const odd = new Uint8Array([9, ...int16le([300, -2])]);
    assert.deepEqual(Array.from(decode(text, { 'a.dat': odd }).signals[0]!), [300, -2]);
    const shifted = new Uint8Array([0, 9, ...int16le([300, -2])]).subarray(1);
    assert.deepEqual(Array.from(decode(text, { 'a.dat': shifted }).signals[0]!), [300, -2]);
  });

  it('derives the length from the file when the header gives none (checksums not compared)', () => {
    const { nSamples, checksums } = decode('m 1 10\na.dat 16 1 16 0 0 123 0\n', {
      'a.dat': int16le([1, 2, 3, 4]),
    });
    assert.equal(nSamples, 4);
    assert.equal(checksums[0]!.ok, null);
  });

  it('strict mode throws ChecksumError naming the lead; default only reports', () => {
    const text = 'm 1 10 2\na.dat 16 1 16 0 0 99 0 II\n';
    const files = { 'a.dat': int16le([1, 2]) };
    assert.equal(decode(text, files).checksums[0]!.ok, false);
    assert.throws(
      () => decode(text, files, true),
      (e: unknown) => e instanceof ChecksumError && /II/.test(e.message),
    );
  });

  it('refuses truncated data and notes trailing bytes', () => {
    const text = 'm 1 10 3\na.dat 16 1 16 0\n';
    assert.throws(
      () => decode(text, { 'a.dat': int16le([1, 2]) }),
      (e: unknown) => e instanceof FormatError && /a\.dat: truncated/.test(e.message),
    );
    const { notes } = decode(text, { 'a.dat': int16le([1, 2, 3, 4]) });
    assert.deepEqual(notes, ['a.dat: 2 bytes beyond the header length ignored']);
  });

  it('refuses a header claiming 10^12 samples without allocating them', () => {
    const text = 'm 1 10 1000000000000\na.dat 16 1 16 0\n';
    assert.throws(
      () => decode(text, { 'a.dat': int16le([1, 2]) }),
      /truncated: header declares 1000000000000/,
    );
  });

  it('the sample budget counts every stored sample decoded: several per frame and skewed frames', () => {
    // 50 output samples of 100 stored samples each; then 50 output samples 950 frames into the file.
    const perFrame = parseWfdbHeader('m 1 10 50\na.dat 16x100 1 16 0\n', 'test.hea');
    const file = () => new Uint8Array(50 * 100 * 2);
    assert.throws(
      () => decodeWfdbSignals(perFrame, file, 'test.hea', { limits: { maxSamples: 1000 } }),
      (e: unknown) =>
        e instanceof FormatError &&
        /test\.hea: 5000 stored samples to decode \(100 per frame\) exceed the limit of 1000/.test(e.message),
    );
    assert.equal(
      decodeWfdbSignals(perFrame, file, 'test.hea', { limits: { maxSamples: 5000 } }).nSamples,
      50,
    );
    const skewed = parseWfdbHeader('m 1 10 50\na.dat 16:950 1 16 0\n', 'test.hea');
    assert.throws(
      () =>
        decodeWfdbSignals(skewed, () => new Uint8Array(2000), 'test.hea', { limits: { maxSamples: 999 } }),
      /1000 stored samples to decode/,
    );
  });

  it('samples per frame, skew and differences over several decoding chunks: each sample from its frames', () => {
    // a.dat (format 8): A with 3 samples per frame, B skewed by 2; b.dat (212): C with 2 per frame skewed by 1,
    // D. One frame short of the skew, so the last output sample of B and C is past the file (NaN).
    const n = 40_000;
    let seed = 7;
    const random = (lo: number, hi: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return lo + (seed % (hi - lo + 1));
    };
    const frames = (count: number, perFrame: number[], sample: () => number) =>
      Array.from({ length: count }, () => perFrame.map((k) => Array.from({ length: k }, sample)));
    const a = frames(n + 1, [3, 1], () => random(-20, 20)); // differences
    const b = frames(n, [2, 1], () => (random(0, 99) === 0 ? -2048 : random(-2047, 2047)));
    const aBytes = Uint8Array.from(a.flat(2), (d) => d & 0xff);
    const bStream = b.flat(2);
    const bBytes = new Uint8Array(Math.ceil((bStream.length * 3) / 2));
    bStream.forEach((v, i) => {
      const at = (i >> 1) * 3;
      if (i % 2 === 0) bBytes[at] = v & 0xff;
      else bBytes[at + 2] = v & 0xff;
      bBytes[at + 1]! |= ((v >> 8) & 0x0f) << (4 * (i % 2));
    });
    const text = [
      `m 4 250 ${n}`,
      'a.dat 8x3 10(2)/mV 10 0 5 0 0 A',
      'a.dat 8:2 20(-1)/mV 10 0 -3 0 0 B',
      'b.dat 212x2:1 200(0)/mV 12 0 0 0 0 C',
      'b.dat 212 100(7)/mV 12 0 0 0 0 D',
    ].join('\n');
    const { signals, checksums } = decode(text, { 'a.dat': aBytes, 'b.dat': bBytes });
    // Digital values per signal and frame (differences integrated), then the expected output and checksum.
    const integrate = (k: number, initial: number) => {
      let value = initial;
      return a.map((frame) => frame[k]!.map((d) => (value = value + d)));
    };
    const digital = [integrate(0, 5), integrate(1, -3), b.map((f) => f[0]!), b.map((f) => f[1]!)];
    const specs = [
      [10, 2, 0, null],
      [20, -1, 2, null],
      [200, 0, 1, -2048],
      [100, 7, 0, -2048],
    ] as const;
    specs.forEach(([gain, baseline, skew, invalid], k) => {
      const expected = Float32Array.from({ length: n }, (_, i) => {
        const valid = (digital[k]![i + skew] ?? []).filter((d) => d !== invalid);
        const mean = valid.reduce((x, y) => x + y, 0) / valid.length;
        return valid.length === 0 ? NaN : (mean - baseline) / gain;
      });
      assert.deepStrictEqual(signals[k], expected, `signal ${k}`);
      assert.equal(checksums[k]!.actual, sum16(digital[k]!.slice(0, n).flat()), `checksum ${k}`);
    });
  });

  it('multi-segment records: header parsed; their signals are read per segment (multisegment.test.ts)', () => {
    const text = 'multi/2 1 250 30\nseg1 10\nseg2 20\n';
    const header = parseWfdbHeader(text, 'multi.hea');
    assert.deepEqual(header.segments, [
      { recordName: 'seg1', nSamples: 10 },
      { recordName: 'seg2', nSamples: 20 },
    ]);
    assert.throws(
      () => decodeWfdbSignals(header, () => new Uint8Array(), 'multi.hea'),
      /a multi-segment header has no signals of its own/,
    );
  });
});
