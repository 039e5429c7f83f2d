import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignalError } from '../../src/errors.js';
import {
  beatChannelCount,
  beatContext,
  beatTemplate,
  contextFeatureNames,
  LOCAL_INTERVALS,
  MORPHOLOGY_CONTEXT,
  morphologyContext,
  RHYTHM_CONTEXT,
  rhythmContext,
  SLOW_RHYTHM_CONTEXT,
  slowRhythmContext,
  templateKinds,
  type BeatWindows,
} from '../../src/signal/beat-context.js';
import { beatModelInputs } from '../../src/infer/beat-inputs.js';
import { cutBeatWindows } from '../../src/infer/prepare.js';

const K = RHYTHM_CONTEXT.length;
const SLOW = SLOW_RHYTHM_CONTEXT.length;
const row = (out: Float32Array, i: number) => Array.from(out.subarray(i * K, (i + 1) * K));
const close = (actual: number[], expected: number[], tolerance = 1e-5) =>
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < tolerance, `${actual} vs ${expected}`));

/** Beat times of a rhythm given by its RR intervals, the first beat at 1 s. */
const timesOf = (rr: number[]) => rr.reduce((t, r) => [...t, t[t.length - 1]! + r], [1]);

test('rhythm context: a premature beat is short for the LOCAL rhythm, whatever the record rate', () => {
  // 20 intervals of 1.0 s, then 20 of 0.6 s with one premature beat (0.36 s) followed by a pause (0.84 s).
  const rr = [...Array(20).fill(1), ...Array(10).fill(0.6), 0.36, 0.84, ...Array(8).fill(0.6)];
  const out = rhythmContext(timesOf(rr));
  const premature = 31; // beat 31 ends interval 30 (0.36 s)
  // Sorted intervals: 0.36, 18 x 0.6, 0.84, 20 x 1.0: the middle two are 0.84 and 1.0.
  const recordMedian = (0.84 + 1) / 2;
  close(row(out, premature), [0.36 / 0.6, 0.84 / 0.6, 0.36 / 0.84, 0, 0.6 / recordMedian]);
  // A normal beat at the faster rate reads as on time although it is short for the record.
  close(row(out, 28), [1, 1, 1, 0, 0.6 / recordMedian]);
});

test('rhythm context is causal: later beats (past the next one) do not change a beat', () => {
  const rr = Array.from({ length: 40 }, (_, i) => 0.8 + 0.1 * Math.sin(i));
  const full = rhythmContext(timesOf(rr));
  const altered = timesOf([...rr.slice(0, 25), 0.3, 2.5, 0.4]);
  const cut = rhythmContext(altered);
  // Beats 12..24 read intervals up to their next one (interval 24 ends at beat 25), which are shared.
  for (let i = LOCAL_INTERVALS + 2; i < 25; i++) {
    // The record-level column (local / record median) is record-level by definition: compare the causal ones.
    close(row(cut, i).slice(0, 4), row(full, i).slice(0, 4));
  }
});

test('rhythm context: irregular rhythm says so, the first beats fall back to the record', () => {
  const irregular = Array.from({ length: 30 }, (_, i) => [0.5, 0.9, 0.7, 1.1, 0.6][i % 5]!);
  const out = rhythmContext(timesOf(irregular));
  assert.ok(row(out, 20)[3]! > 0.3, `irregularity ${row(out, 20)[3]}`);
  const steady = rhythmContext(timesOf(Array(30).fill(0.8)));
  assert.equal(row(steady, 20)[3], 0);
  // Beat 0 has no previous interval (borrows the next) and no local window: record median stands in.
  close(row(steady, 0), [1, 1, 1, 0, 1]);
  assert.deepEqual(Array.from(rhythmContext([2])), [1, 1, 1, 0, 1]);
  assert.throws(() => rhythmContext([1, 1]), /ascend/);
});

test('beat times must be finite and strictly ascending, for the rhythm and the slow-rhythm context alike', () => {
  // rhythmContext took an infinite time (NaN features); slowRhythmContext took any order.
  const refused: Array<[number[], RegExp]> = [
    [[0, 1, Infinity], /finite \(beat 2: Infinity s\)/],
    [[-Infinity, 1], /finite \(beat 0/],
    [[Number.NaN], /finite \(beat 0/],
    [[0, 2, 1], /ascend \(beat 2: 1 s\)/],
    [[0, 1, 1], /ascend \(beat 2: 1 s\)/],
  ];
  for (const [times, message] of refused) {
    for (const context of [rhythmContext, slowRhythmContext])
      assert.throws(
        () => context(times),
        (e: unknown) => e instanceof SignalError && message.test(e.message),
        `${context.name}(${times})`,
      );
  }
});

/** Windows of a Gaussian QRS of the given amplitude and width (samples), peak at sample 20 of 41. */
function gaussianWindows(shapes: Array<{ amplitude: number; width: number }>): BeatWindows {
  const width = 41;
  const data = new Float32Array(shapes.length * width);
  shapes.forEach(({ amplitude, width: w }, b) => {
    for (let k = 0; k < width; k++) data[b * width + k] = amplitude * Math.exp(-0.5 * ((k - 20) / w) ** 2);
  });
  return { data, count: shapes.length, leads: 1, width, peakAt: 20 };
}

test('template: the sample-wise median beat; morphology relative to it', () => {
  const normal = { amplitude: 1, width: 2 };
  const windows = gaussianWindows([
    normal,
    normal,
    normal,
    { amplitude: 2, width: 2 },
    { amplitude: 1, width: 5 },
  ]);
  const template = beatTemplate(windows);
  assert.deepEqual(Array.from(template), Array.from(windows.data.subarray(0, 41)));
  const features = morphologyContext(windows, template, 100); // QRS region +-10 samples
  const beat = (b: number) => Array.from(features.subarray(b * 4, (b + 1) * 4));
  close(beat(0), [1, 1, 1, 0]);
  close(beat(3), [1, 2, 1, 1]); // twice as tall: same shape, residual as large as the template
  const wide = beat(4);
  assert.ok(wide[0]! < 0.95 && wide[2]! > 1.8, `wide beat ${wide}`);
});

test('beatContext and beatModelInputs: residual channels are beat minus template, margin changes nothing', () => {
  const fs = 100;
  const signal = new Float32Array(2000);
  const peaks: number[] = [];
  for (let p = 60, i = 0; p < 1950; p += i % 7 === 3 ? 50 : 80, i++) peaks.push(p);
  peaks.forEach((p, i) => {
    const w = i % 7 === 3 ? 5 : 2;
    for (let k = -15; k <= 15; k++) signal[p + k] = signal[p + k]! + Math.exp(-0.5 * (k / w) ** 2);
  });
  const spec = { before: 20, after: 30, context: contextFeatureNames(1), residualChannels: true };
  const plain = beatModelInputs([signal], fs, peaks, fs, spec);
  const wide = beatModelInputs([signal], fs, peaks, fs, spec, 4);
  assert.equal(plain.channels, 2);
  assert.deepEqual(plain.context, wide.context);
  for (let b = 0; b < plain.count; b++)
    for (let c = 0; c < 2; c++)
      for (let k = 0; k < 50; k++)
        assert.equal(plain.windows[(b * 2 + c) * 50 + k], wide.windows[(b * 2 + c) * 58 + 4 + k]);
  // The residual channel is the window minus the context's template.
  const windows = cutBeatWindows([signal], peaks, 20, 30);
  const { templates } = beatContext(
    { data: windows, count: peaks.length, leads: 1, width: 50, peakAt: 20 },
    peaks.map((p) => p / fs),
    fs,
  );
  for (let k = 0; k < 50; k++) assert.equal(plain.windows[50 + k], windows[k]! - templates[0]!.data[k]!);
  // Peaks given at another rate (source 200 Hz) land on the same samples and times.
  const doubled = beatModelInputs(
    [signal],
    fs,
    peaks.map((p) => 2 * p),
    2 * fs,
    spec,
  );
  assert.deepEqual(doubled.context, plain.context);
  // Only the named columns, in the asked order.
  const two = beatModelInputs([signal], fs, peaks, fs, {
    ...spec,
    context: ['widthRatio0', 'rrPreviousLocal'],
  });
  const names = contextFeatureNames(1);
  const n = names.length;
  for (let b = 0; b < plain.count; b++) {
    assert.equal(two.context[b * 2], plain.context[b * n + names.indexOf('widthRatio0')]);
    assert.equal(two.context[b * 2 + 1], plain.context[b * n]);
  }
  assert.throws(() => beatModelInputs([signal], fs, peaks, fs, { ...spec, context: ['nope'] }), /not one of/);
});

/**
 * Beat windows of a record whose dominant beat changes shape halfway (as MIT-BIH 108's MLII QRS turns from tall R to
 * QS when the patient moves), with premature beats of a third shape every `ectopicEvery` beats (bigeminy at 2).
 */
function driftingRecord(
  ectopicEvery: number,
  normalAt: (t: number) => 'upright' | 'inverted' = (t) => (t < 180 ? 'upright' : 'inverted'),
) {
  const width = 40;
  const peakAt = 15;
  const shape = (kind: 'upright' | 'inverted' | 'ectopic', k: number) => {
    const t = k - peakAt;
    if (kind === 'ectopic')
      return 1.5 * Math.exp(-0.5 * ((t - 4) / 5) ** 2) - Math.exp(-0.5 * ((t + 4) / 3) ** 2);
    return (
      (kind === 'upright' ? 1 : -1) * Math.exp(-0.5 * (t / 2) ** 2) +
      0.3 * Math.exp(-0.5 * ((t - 15) / 4) ** 2)
    );
  };
  const times: number[] = [];
  const kinds: Array<'upright' | 'inverted' | 'ectopic'> = [];
  for (let t = 0, b = 0; t < 360; b++) {
    const ectopic = b % ectopicEvery === ectopicEvery - 1;
    t += ectopic ? 0.5 : ectopicEvery === 2 ? 1.3 : 0.9; // premature, then (bigeminy) the compensatory pause
    times.push(t);
    kinds.push(ectopic ? 'ectopic' : normalAt(t));
  }
  const data = new Float32Array(times.length * width);
  kinds.forEach((kind, b) => {
    for (let k = 0; k < width; k++) data[b * width + k] = shape(kind, k);
  });
  return { windows: { data, count: times.length, leads: 1, width, peakAt }, times, kinds };
}

const correlationColumn = RHYTHM_CONTEXT.length; // templateCorrelation0

test('local template: a beat shape that changes within the record stays normal for its own minutes', () => {
  const { windows, times, kinds } = driftingRecord(10);
  const width = windows.width;
  const columns = K + 4 + SLOW;
  const record = beatContext(windows, times, 100, 'record');
  const local = beatContext(windows, times, 100, 'local');
  assert.equal(record.templates[0]!.data.length, width);
  assert.equal(
    local.templates[0]!.data.length,
    Math.ceil((times[times.length - 1]! - times[0]!) / 10) * width,
  );
  const correlations = (features: Float32Array, kind: string) =>
    kinds.flatMap((k, b) =>
      k === kind && Math.abs(times[b]! - 180) > 65 ? [features[b * columns + correlationColumn]!] : [],
    );
  // Away from the change, every normal beat matches its local template; against the record's median one half fails.
  for (const kind of ['upright', 'inverted'])
    assert.ok(Math.min(...correlations(local.features, kind)) > 0.99, `${kind} beats vs local template`);
  const recordMin = Math.min(
    ...correlations(record.features, 'upright'),
    ...correlations(record.features, 'inverted'),
  );
  assert.ok(recordMin < 0, `record template: ${recordMin}`);
  // Premature (ectopic) beats never shape the local template: they stay unlike it.
  assert.ok(Math.max(...correlations(local.features, 'ectopic')) < 0.8);
  // Residual channels read each beat's own template.
  const b = kinds.indexOf('inverted');
  const t = local.templates[0]!.of[b]!;
  for (let k = 0; k < width; k++)
    assert.equal(
      local.residuals[b * width + k],
      Math.fround(windows.data[b * width + k]! - local.templates[0]!.data[t * width + k]!),
    );
  // beatModelInputs reads the template its spec names.
  const peaks = times.map((time) => Math.round(time * 100));
  const signal = new Float32Array(peaks[peaks.length - 1]! + 100);
  const spec = { before: 15, after: 25, context: ['templateCorrelation0'], residualChannels: false };
  kinds.forEach((_, beat) =>
    signal.set(windows.data.subarray(beat * width, (beat + 1) * width), peaks[beat]! - 15),
  );
  const fromSpec = beatModelInputs([signal], 100, peaks, 100, { ...spec, template: 'local' });
  const asRecord = beatModelInputs([signal], 100, peaks, 100, spec);
  assert.ok(fromSpec.context.some((v, i) => Math.abs(v - asRecord.context[i]!) > 0.5));
});

test('local template span: a shorter span follows a shape episode sooner (beatContext and beatModelInputs alike)', () => {
  // The normal QRS turns over for 40 s (150-190 s) and back, as record 108's does for minutes: a 60 s span still
  // holds mostly the usual shape there (the median keeps it), a 20 s span holds the episode's.
  const { windows, times, kinds } = driftingRecord(10, (t) => (t >= 150 && t < 190 ? 'inverted' : 'upright'));
  const columns = K + 4 + SLOW;
  const episode = (features: Float32Array) =>
    kinds.flatMap((k, b) =>
      k === 'inverted' && times[b]! > 160 && times[b]! < 180
        ? [features[b * columns + correlationColumn]!]
        : [],
    );
  const wide = episode(beatContext(windows, times, 100, 'local').features);
  const short = episode(beatContext(windows, times, 100, 'local', 20).features);
  assert.ok(wide.length > 15);
  assert.ok(Math.min(...short) > 0.99, `20 s span: ${Math.min(...short)}`);
  assert.ok(Math.max(...wide) < 0, `60 s span: ${Math.max(...wide)}`);
  // The spec's span reaches the context (training and the Predictor both call beatModelInputs).
  const width = windows.width;
  const peaks = times.map((time) => Math.round(time * 100));
  const signal = new Float32Array(peaks[peaks.length - 1]! + 100);
  kinds.forEach((_, beat) =>
    signal.set(windows.data.subarray(beat * width, (beat + 1) * width), peaks[beat]! - 15),
  );
  const spec = { before: 15, after: 25, context: ['templateCorrelation0'], residualChannels: false };
  const at = (seconds?: number) =>
    beatModelInputs([signal], 100, peaks, 100, { ...spec, template: 'local', localTemplateSeconds: seconds });
  assert.deepEqual(at(60).context, at(undefined).context);
  assert.ok(at(20).context.some((v, i) => Math.abs(v - at(60).context[i]!) > 1));
});

test('local template: in bigeminy the premature beats are left out, so the template is the normal beat', () => {
  const { windows, times, kinds } = driftingRecord(2);
  const local = beatContext(windows, times, 100, 'local');
  const columns = K + 4 + SLOW;
  kinds.forEach((kind, b) => {
    if (Math.abs(times[b]! - 180) < 65) return;
    const correlation = local.features[b * columns + correlationColumn]!;
    if (kind === 'ectopic') assert.ok(correlation < 0.8, `ectopic beat ${b}: ${correlation}`);
    else assert.ok(correlation > 0.99, `normal beat ${b}: ${correlation}`);
  });
});

test('both templates: the local and the record template side by side, in features, residuals and input channels', () => {
  const { windows, times } = driftingRecord(10);
  const { width } = windows;
  const m = MORPHOLOGY_CONTEXT.length;
  assert.deepEqual(contextFeatureNames(1, 'both'), [
    ...contextFeatureNames(1, 'local').slice(0, K + m),
    ...MORPHOLOGY_CONTEXT.map((name) => `record${name[0]!.toUpperCase()}${name.slice(1)}0`),
    ...SLOW_RHYTHM_CONTEXT,
  ]);
  assert.deepEqual(templateKinds('both'), ['local', 'record']);
  const local = beatContext(windows, times, 100, 'local');
  const record = beatContext(windows, times, 100, 'record');
  const both = beatContext(windows, times, 100, 'both');
  assert.equal(both.templates.length, 2);
  assert.deepEqual(both.templates[0], local.templates[0]);
  assert.deepEqual(both.templates[1], record.templates[0]);
  const per = { one: K + m + SLOW, two: K + 2 * m + SLOW };
  for (let b = 0; b < windows.count; b++) {
    const row = Array.from(both.features.subarray(b * per.two, (b + 1) * per.two));
    const localRow = Array.from(local.features.subarray(b * per.one, (b + 1) * per.one));
    const recordRow = Array.from(record.features.subarray(b * per.one, (b + 1) * per.one));
    assert.deepEqual(row.slice(0, K + m), localRow.slice(0, K + m));
    assert.deepEqual(row.slice(K + m, K + 2 * m), recordRow.slice(K, K + m));
    assert.deepEqual(row.slice(K + 2 * m), localRow.slice(K + m));
    assert.deepEqual(Array.from(both.residuals.subarray(b * 2 * width, (b * 2 + 2) * width)), [
      ...local.residuals.subarray(b * width, (b + 1) * width),
      ...record.residuals.subarray(b * width, (b + 1) * width),
    ]);
  }
  assert.equal(beatChannelCount(2, true, 'both'), 6);
  assert.equal(beatChannelCount(2, true, 'local'), 4);
  assert.equal(beatChannelCount(2, false, 'both'), 2);
  // Model inputs: the lead, then its residual against the local template, then against the record template.
  const peaks = times.map((time) => Math.round(time * 100));
  const signal = new Float32Array(peaks[peaks.length - 1]! + 100);
  peaks.forEach((p, beat) => signal.set(windows.data.subarray(beat * width, (beat + 1) * width), p - 15));
  const spec = { before: 15, after: 25, context: contextFeatureNames(1, 'both'), residualChannels: true };
  const inputs = beatModelInputs([signal], 100, peaks, 100, { ...spec, template: 'both' });
  assert.equal(inputs.channels, 3);
  const cut = cutBeatWindows([signal], peaks, 15, 25);
  const context = beatContext(
    { ...windows, data: cut },
    peaks.map((p) => p / 100),
    100,
    'both',
  );
  assert.deepEqual(inputs.context, context.features);
  const b = 7;
  assert.deepEqual(Array.from(inputs.windows.subarray(b * 3 * width, (b + 1) * 3 * width)), [
    ...cut.subarray(b * width, (b + 1) * width),
    ...context.residuals.subarray(b * 2 * width, (b + 1) * 2 * width),
  ]);
});

test('slow rhythm: where most beats are premature, they stay short against the slow end of the last minute', () => {
  // As MIT-BIH 232: runs of three APCs 0.7 s apart, then a sinus beat after a 1.6 s pause; 3 of 4 beats are APCs.
  const times: number[] = [];
  const premature: boolean[] = [];
  for (let t = 0, b = 0; t < 300; b++) {
    const apc = b % 4 !== 0;
    t += apc ? 0.7 : 1.6;
    times.push(t);
    premature.push(apc);
  }
  const local = rhythmContext(times);
  const slow = slowRhythmContext(times);
  assert.equal(slow.length, times.length);
  for (let b = 20; b < times.length; b++) {
    const againstMedian = local[b * K]!; // rrPreviousLocal: the median interval is an APC's
    if (premature[b]) {
      assert.ok(Math.abs(againstMedian - 1) < 1e-6, `APC ${b} vs the local median: ${againstMedian}`);
      assert.ok(Math.abs(slow[b]! - 0.7 / 1.6) < 1e-6, `APC ${b} vs the slow end: ${slow[b]}`);
    } else assert.ok(Math.abs(slow[b]! - 1) < 1e-6, `sinus beat ${b}: ${slow[b]}`);
  }
  // Causal: later beats do not change a beat's value; a steady rhythm reads 1; the first beats use the record's.
  const cut = slowRhythmContext(times.slice(0, 150));
  assert.deepEqual(Array.from(cut.subarray(20, 149)), Array.from(slow.subarray(20, 149)));
  const steady = slowRhythmContext(Array.from({ length: 50 }, (_, b) => b * 0.8));
  assert.ok(steady.every((v) => Math.abs(v - 1) < 1e-6));
  assert.deepEqual(Array.from(slowRhythmContext([3])), [1]);
});
