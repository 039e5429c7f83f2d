/**
 * The signal-quality gate on a real 12-lead record (LUDB record 1) and on that record made flat, clipped,
 * disconnected, too short, or replaced by noise; on the real record it finds nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readRecord } from '../../src/io/read.js';
import type { EcgRecord } from '../../src/io/record.js';
import { assessQuality, leadList } from '../../src/signal/quality.js';

const LUDB = fileURLToPath(new URL('../fixtures/wfdb/1.hea', import.meta.url));
const real = await readRecord(LUDB);
const leads = ['I', 'II', 'III', 'aVR', 'aVL', 'aVF', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6'];

function variant(change: (signal: Float32Array, lead: number) => Float32Array): EcgRecord {
  return { ...real, leads, signals: real.signals.map((s, i) => change(Float32Array.from(s), i)) };
}

/** Seeded Gaussian noise (so the test cannot flake). */
function noise(n: number, seed: number, sd = 0.2): Float32Array {
  let state = seed;
  const uniform = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) + 1) / (2 ** 31 + 1);
  return Float32Array.from(
    { length: n },
    () => sd * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()),
  );
}

describe('assessQuality', () => {
  it('finds nothing wrong with a real record', () => {
    assert.deepEqual(assessQuality(real), { diagnosable: true, flags: [], summary: 'ok' });
  });

  it('an all-zero 12-lead record is flat on every lead: not diagnosable', () => {
    const q = assessQuality(variant((s) => s.fill(0)));
    assert.equal(q.diagnosable, false);
    assert.deepEqual(
      q.flags.map((f) => f.kind),
      ['flat'],
    );
    assert.equal(
      q.summary,
      'not diagnosable: flat leads I-aVF, V1-V6'.replace('I-aVF', 'I, II, III, aVR, aVL, aVF'),
    );
  });

  it('flat lead II and V1-V6 are named as such', () => {
    const q = assessQuality(variant((s, i) => (i === 1 || i >= 6 ? s.fill(0.3) : s)));
    assert.equal(q.summary, 'not diagnosable: flat leads II, V1-V6');
  });

  it('a flat lead the model does not read is a warning only', () => {
    const q = assessQuality(
      variant((s, i) => (i === 1 ? s.fill(0) : s)),
      { modelLeads: [0] },
    );
    assert.equal(q.diagnosable, true);
    assert.equal(q.flags[0]!.blocking, false);
  });

  it('clipping: amplified 10x into a +-2 mV amplifier', () => {
    const q = assessQuality(variant((s) => s.map((v) => Math.max(-2, Math.min(2, 10 * v)))));
    assert.equal(q.diagnosable, false);
    assert.equal(q.flags[0]!.kind, 'clipped');
  });

  it('noise only: Gaussian noise on every lead', () => {
    const q = assessQuality(variant((s, i) => noise(s.length, i + 1)));
    assert.equal(q.diagnosable, false);
    assert.deepEqual(
      q.flags.map((f) => f.kind),
      ['noise'],
    );
  });

  it('noise only, also with a baseline offset and a short NaN gap (bridged, not read as 0)', () => {
    // 1 mV offset, 0.4 s missing from 4 s on (too short to be disconnected). The gap filled with 0 made two 1 mV
    // steps whose band-pass ringing raised the QRS band's kurtosis: the noise passed as ok.
    const q = assessQuality(
      variant((s, i) =>
        noise(s.length, i + 1)
          .map((v) => v + 1)
          .fill(Number.NaN, 2000, 2200),
      ),
    );
    assert.equal(q.diagnosable, false);
    assert.deepEqual(
      q.flags.map((f) => f.kind),
      ['noise'],
    );
  });

  it('disconnected: V3 lost for the second half', () => {
    const q = assessQuality(variant((s, i) => (i === 8 ? s.fill(Number.NaN, s.length / 2) : s)));
    assert.deepEqual([q.diagnosable, q.flags[0]!.kind, q.flags[0]!.leads], [false, 'disconnected', ['V3']]);
  });

  it('too short to diagnose under 2.5 s; shorter than the window is a warning', () => {
    const cut = (seconds: number) => variant((s) => s.slice(0, seconds * real.fs));
    assert.equal(assessQuality(cut(2)).diagnosable, false);
    const warned = assessQuality(cut(7.3), { windowSeconds: 10 });
    assert.deepEqual(
      [warned.diagnosable, warned.flags[0]!.kind, warned.flags[0]!.blocking],
      [true, 'too-short', false],
    );
  });

  it("reads the record's units: the same record in V or µV is judged as in mV", () => {
    const inUnit = (unit: string, scale: number, record = real): EcgRecord => ({
      ...record,
      leads,
      units: leads.map(() => unit),
      signals: record.signals.map((s) => s.map((v) => v * scale)),
    });
    // In V every lead spans under 0.02 (mV): before, all 12 were flat.
    assert.deepEqual(assessQuality(inUnit('V', 1e-3)), assessQuality(real));
    // V6 replaced by 10 µV of noise is flat in mV, and now in µV too (before: ok).
    const quiet = variant((s, i) => (i === 11 ? noise(s.length, 5, 0.003) : s));
    assert.equal(assessQuality(quiet).summary, 'not diagnosable: flat lead V6');
    assert.equal(assessQuality(inUnit('uV', 1000, quiet)).summary, 'not diagnosable: flat lead V6');
  });

  it('a lead not in a voltage has no µV floor: flat only when constant, disconnected only when missing', () => {
    const adu = (change: (signal: Float32Array, lead: number) => Float32Array): EcgRecord => ({
      ...variant(change),
      units: leads.map(() => 'adu'),
    });
    // 0.001 count per mV: every lead spans under 0.02 counts.
    assert.equal(assessQuality(adu((s) => s.map((v) => v * 1e-3))).summary, 'ok');
    assert.equal(
      assessQuality(adu((s, i) => (i === 1 ? s.fill(7) : s))).summary,
      'not diagnosable: flat lead II',
    );
    const lost = assessQuality(adu((s, i) => (i === 8 ? s.fill(Number.NaN, s.length / 2) : s)));
    assert.deepEqual([lost.diagnosable, lost.flags[0]!.kind], [false, 'disconnected']);
  });

  it('leadList joins consecutive precordial leads', () => {
    assert.equal(leadList(['II']), 'lead II');
    assert.equal(leadList(['II', 'V1', 'V2', 'V3', 'V5']), 'leads II, V1-V3, V5');
  });
});
