import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FormatError } from '../../../src/errors.js';
import { parseWfdbHeader } from '../../../src/io/wfdb/header.js';
import { seededRandom } from '../../../src/util/random.js';
import { fixture } from './helpers.js';

const text = (name: string) => new TextDecoder().decode(fixture(name));

describe('WFDB header parser', () => {
  it('reads a full record line: counter frequency, base counter, length, base time and date', () => {
    const h = parseWfdbHeader(
      'rec 2 360/2(5.5) 650000 13:05:00 25/4/1989\ns.dat 16 200 12 0\ns.dat 16 200 12 0\n',
      'r',
    );
    assert.equal(h.recordName, 'rec');
    assert.equal(h.nSegments, null);
    assert.equal(h.nSignals, 2);
    assert.equal(h.fs, 360);
    assert.equal(h.counterFrequency, 2);
    assert.equal(h.baseCounter, 5.5);
    assert.equal(h.nSamples, 650000);
    assert.equal(h.baseTime, '13:05:00');
    assert.equal(h.baseDate, '25/4/1989');
  });

  it('applies the spec defaults of an abbreviated record line and signal line', () => {
    const h = parseWfdbHeader('rec 1\nx.dat 80\n', 'r');
    assert.equal(h.fs, 250);
    assert.equal(h.counterFrequency, 250);
    assert.equal(h.nSamples, null);
    const s = h.signals[0]!;
    assert.deepEqual(
      { ...s },
      {
        fileName: 'x.dat',
        format: 80,
        samplesPerFrame: 1,
        skew: 0,
        byteOffset: 0,
        adcGain: 200,
        calibrated: false,
        baseline: 0,
        units: 'mV',
        adcResolution: 8,
        adcZero: 0,
        initialValue: 0,
        checksum: null,
        blockSize: 0,
        description: '',
      },
    );
  });

  it('format modifiers, gain with baseline and units, zero gain = uncalibrated 200, baseline defaults to ADC zero', () => {
    const h = parseWfdbHeader(
      'r 3 500 10\nf.dat 212x4:2+100 1716(6)/uV 11 1024 5 -7 0 chest lead V1\nf.dat 212 0 11 1024\ng.dat 8\n',
      'r',
    );
    const [a, b, c] = h.signals;
    assert.deepEqual(
      [a!.format, a!.samplesPerFrame, a!.skew, a!.byteOffset, a!.adcGain, a!.baseline, a!.units],
      [212, 4, 2, 100, 1716, 6, 'uV'],
    );
    assert.deepEqual([a!.adcResolution, a!.adcZero, a!.initialValue, a!.checksum], [11, 1024, 5, -7]);
    assert.equal(a!.description, 'chest lead V1');
    assert.deepEqual([b!.adcGain, b!.calibrated, b!.baseline, b!.initialValue], [200, false, 1024, 1024]);
    assert.equal(c!.adcResolution, 10); // difference format default
  });

  it('reads the comment dialects of real headers', () => {
    const ptb = parseWfdbHeader(text('00001_lr.hea'), '00001_lr.hea');
    assert.equal(ptb.commentFields.dx, 'Normal');
    assert.deepEqual(ptb.patient, { age: 56, sex: 'female' });
    assert.equal(ptb.signals[2]!.checksum, 64758);
    const ludb = parseWfdbHeader(text('1.hea'), '1.hea');
    assert.deepEqual(ludb.patient, { age: 51, sex: 'female' });
    assert.equal(ludb.commentFields.rhythm, 'Sinus bradycardia.');
    assert.deepEqual(
      [ludb.signals[0]!.adcGain, ludb.signals[0]!.baseline, ludb.signals[0]!.adcResolution],
      [1716, 6, 0],
    );
    const mit = parseWfdbHeader(text('208x.hea'), '208x.hea');
    assert.deepEqual(mit.patient, { age: 23, sex: 'female' });
    assert.equal(mit.comments[1], 'None');
    const cinc = parseWfdbHeader(text('A00001.hea'), 'A00001.hea');
    assert.deepEqual([cinc.signals[0]!.format, cinc.signals[0]!.byteOffset], [16, 24]);
    assert.equal(cinc.baseDate, '1/05/2000');
  });

  it('reads challenge-style keys and MIT-BIH unknowns', () => {
    const h = parseWfdbHeader('r 0\n#Age: NaN\n#Sex: Male\n#Dx: 164889003,59118001\n', 'r');
    assert.deepEqual(h.patient, { age: null, sex: 'male' });
    assert.equal(h.commentFields.dx, '164889003,59118001');
    assert.deepEqual(parseWfdbHeader('r 0\n# -1 ? 0 0 x1\n', 'r').patient, { age: null, sex: 'unknown' });
    assert.deepEqual(parseWfdbHeader('r 0\n# 69 M 1085 1629 x1\n', 'r').patient, { age: 69, sex: 'male' });
    // PTB-XL's de-identified ages above 89 are written as 300.
    assert.deepEqual(parseWfdbHeader('r 0\n#Age: 300\n#Sex: Female\n', 'r').patient, {
      age: 90,
      sex: 'female',
    });
    assert.deepEqual(parseWfdbHeader('r 0\n#Age: 250\n', 'r').patient, { age: null, sex: 'unknown' });
  });

  const bad: Array<[string, string, RegExp]> = [
    ['empty', '', /no record line/],
    ['comments only', '# hello\n', /no record line/],
    ['missing signal count', 'rec\n', /line 1: missing nSignals/],
    ['non-numeric signal count', 'rec two 250\n', /line 1: cannot read field 2 "two"/],
    ['zero frequency', 'rec 1 0\nx.dat 16\n', /invalid sampling frequency 0 Hz/],
    ['0.2 Hz', 'rec 1 0.2\nx.dat 16\n', /invalid sampling frequency 0.2 Hz/],
    ['30 kHz', 'rec 1 30000\nx.dat 16\n', /accepted: 1 to 20000 Hz/],
    ['too few signal lines', 'rec 2 250\nx.dat 16\n', /declares 2 signals but 1 signal lines follow/],
    ['unknown format', 'rec 1 250\nx.dat 17\n', /line 2: unknown signal format 17/],
    ['malformed gain', 'rec 1 250\nx.dat 16 12(3/mV\n', /line 2: cannot read field 3 "12\(3\/mV"/],
    ['missing format', 'rec 1 250\nx.dat\n', /line 2: missing format/],
    ['zero samples per frame', 'rec 1 250\nx.dat 16x0\n', /samples per frame/],
    ['binary', 'rec 1\0', /NUL/],
    ['infinite gain', 'rec 1 250\nx.dat 16 1e400\n', /line 2: invalid ADC gain Infinity/],
    ['absurd signal count', 'rec 999999999 250\n', /absurd number of signals/],
    ['extra record fields', 'rec 1 250 10 0:0:0 1/1/2000 extra\nx.dat 16\n', /unexpected text "extra"/],
  ];
  for (const [what, header, message] of bad) {
    it(`rejects ${what} with a FormatError naming the file`, () => {
      assert.throws(
        () => parseWfdbHeader(header, 'bad.hea'),
        (e: unknown) =>
          e instanceof FormatError && e.message.startsWith('bad.hea: ') && message.test(e.message),
      );
    });
  }
});

/**
 * Fuzzing findings (hostile headers): each input is sized so that the old code took seconds (measured on the
 * regexes alone: a 20,000-digit field 3.1 s, a 40,000-character comment 4.6 s); the tests assert the outcome.
 */
describe('WFDB header parser: fuzz findings', () => {
  const refuses = (header: string, pattern: RegExp) =>
    assert.throws(
      () => parseWfdbHeader(header, 'fuzz.hea'),
      (e: unknown) =>
        e instanceof FormatError && e.message.startsWith('fuzz.hea: ') && pattern.test(e.message),
    );

  it('a 20,000-digit sampling rate or gain is refused before its regex is tried (it backtracked quadratically)', () => {
    refuses(
      `r 1 ${'1'.repeat(20_000)}x 10\nr.dat 16\n`,
      /line 1: field 3 ".*" holds a number of 20000 characters/,
    );
    refuses(
      `r 1 250 10\nr.dat 16 ${'1'.repeat(20_000)}x\n`,
      /line 2: field 3 ".*" holds a number of 20000 characters/,
    );
    refuses(`r 1 250 10\nr.dat 16 200(${'1'.repeat(100)})/mV\n`, /line 2: field 3 .* 100 characters/);
    // 64 characters is the most a number may take, and such a number still reads; long units are not numbers.
    const h = parseWfdbHeader(`r 1 ${'250.'.padEnd(64, '0')} 10\nr.dat 16 200/${'u'.repeat(1000)}V\n`, 'r');
    assert.equal(h.fs, 250);
    assert.equal(h.signals[0]!.units, `${'u'.repeat(1000)}V`);
  });

  it('a 40,000-character comment without a colon is read at once (the key: value regex was quadratic)', () => {
    const h = parseWfdbHeader(`r 0\n#a${' '.repeat(40_000)}x\n#Age: 56\n`, 'r');
    assert.deepEqual(h.commentFields, { age: '56' });
  });

  it('comment fields are the ones the former regex found (random comments)', () => {
    const former = (comments: string[]) => {
      const fields: Record<string, string> = {};
      for (const comment of comments) {
        const match = /^<?([A-Za-z][\w .-]*?)>?\s*:\s*(.*)$/.exec(comment);
        if (match?.[1] && match[2] !== undefined) fields[match[1].toLowerCase()] ??= match[2].trim();
      }
      return fields;
    };
    const random = seededRandom(17);
    const alphabet = ['a', 'B', '1', '_', ' ', '.', '-', '<', '>', ':', ':', '\t', '\u2028', '\r', '#', 'é'];
    for (let i = 0; i < 5000; i++) {
      const length = 1 + Math.floor(random() * 12);
      const comment = Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
      const h = parseWfdbHeader(`r 0\n#${comment}\n`, 'r');
      assert.deepEqual(h.commentFields, former(h.comments), JSON.stringify(comment));
    }
  });

  it('a gain or baseline that puts samples beyond float32 is refused (1e-300 decoded to Infinity)', () => {
    refuses(
      'r 1 250 4\nr.dat 16 1e-300/mV\n',
      /line 2: ADC gain 1e-300 with baseline 0 makes physical values beyond float32/,
    );
    refuses(`r 1 250 4\nr.dat 16 200(1${'0'.repeat(60)})/mV\n`, /line 2: ADC gain 200 with baseline 1e\+60/);
    // Tiny but representable: 2^31 / 1e-29 fits.
    assert.equal(parseWfdbHeader('r 1 250 4\nr.dat 32 1e-29/mV\n', 'r').signals[0]!.adcGain, 1e-29);
  });
});
