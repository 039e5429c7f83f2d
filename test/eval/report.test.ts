/** JSON results (field names, intervals) and the terminal, HTML (inline SVG) and Markdown reports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cinc2017Report,
  cinc2017Result,
  cpsc2018Report,
  cpsc2018Result,
  formatReport,
  mitbihReport,
  mitbihResult,
  ptbxlReport,
  ptbxlResult,
  renderHtml,
  renderMarkdown,
} from '../../src/eval/index.js';
import { writeReport } from '../../src/eval/report/write.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/eval/eval.json', import.meta.url), 'utf8')) as {
  multilabel: {
    classes: string[];
    labels: number[][];
    scores: number[][];
    macro_auroc: number;
    auroc: Record<string, number>;
  };
};

const count = (text: string, pattern: RegExp): number => (text.match(pattern) ?? []).length;

// CinC 2017: the hand-computed matrix of challenges.test.ts, as records.
const counts = [
  [50, 2, 8, 0],
  [1, 9, 2, 0],
  [10, 1, 20, 1],
  [2, 0, 1, 3],
];
const reference: number[] = [];
const predicted: number[] = [];
counts.forEach((row, r) => row.forEach((n, c) => { for (let k = 0; k < n; k++) { reference.push(r); predicted.push(c); } })); // prettier-ignore

test('CinC 2017 result: f1, f1_per_class and ci95 mirroring them', () => {
  const result = cinc2017Result(reference, predicted, { bootstrap: { resamples: 200, seed: 3 } });
  assert.ok(Math.abs(result.f1! - (100 / 123 + 0.75 + 40 / 63) / 3) < 1e-12);
  assert.deepEqual(Object.keys(result.f1_per_class), ['N', 'A', 'O', '~']);
  const [lower, upper] = result.ci95!.f1!;
  assert.ok(lower < result.f1! && result.f1! < upper);
  assert.ok(result.ci95!.f1_per_class.A !== null);
  const json = JSON.parse(JSON.stringify(result));
  assert.equal(json.records, 110);
  assert.match(json.notes.join('\n'), /200 resamples of records, seed 3/);
  const text = formatReport(cinc2017Report(result));
  assert.match(text, /F1 \(N, A, O\)\s+0\.7326 \[/);
  assert.match(text, /\nN\s+50\s+2\s+8\s+0\n/);
});

test('CPSC 2018 result: f1, f1_per_class, faf, fblock, fpc, fst and intervals', () => {
  const labels = [[0], [1], [2, 4], [4, 2], [5], [6], [7], [8], [3], [2], [7, 0]];
  const guesses = [0, 1, 4, 0, 6, 6, 8, 8, 3, 2, 7];
  const result = cpsc2018Result(labels, guesses, { bootstrap: { resamples: 100, seed: 4 } });
  assert.ok(Math.abs(result.f1! - 19 / 27) < 1e-12);
  assert.ok(Math.abs(result.fblock! - 6 / 7) < 1e-12);
  assert.equal(result.f1_per_class.PAC, 0);
  // Small resamples often miss a class entirely: then the mean F1 is undefined there, and counted.
  assert.match(result.notes.join('\n'), /f1: undefined on \d+ of 100 resamples/);
  assert.match(formatReport(cpsc2018Report(result)), /fblock\s+0\.8571/);
});

test('MIT-BIH result: accuracy and N/S/V/F se, ppv, f1 with patient bootstrap', () => {
  // 6 patients of 20 beats; class pattern varies by patient.
  const ref: number[] = [];
  const pred: number[] = [];
  const patients: string[] = [];
  for (let p = 0; p < 6; p++)
    for (let b = 0; b < 20; b++) {
      const truth = b % 10 === 0 ? 2 : b % 7 === 0 ? 1 : b === 13 && p % 2 === 0 ? 3 : b === 19 ? 4 : 0;
      ref.push(truth);
      pred.push((b + p) % 9 === 0 ? (truth + 1) % 4 : truth);
      patients.push(`p${p}`);
    }
  const result = mitbihResult(ref, pred, { patients, bootstrap: { resamples: 100, seed: 1 } });
  assert.equal(result.excluded_q, 6);
  assert.equal(result.beats, 114);
  for (const name of ['N', 'S', 'V', 'F'] as const)
    for (const field of ['se', 'ppv', 'f1'] as const)
      assert.equal(typeof result[name][field], 'number', `${name}.${field}`);
  assert.ok(result.accuracy! > 0.8 && result.accuracy! < 1);
  assert.match(result.notes.join('\n'), /resamples of groups/);
  assert.ok(Array.isArray(result.ci95!.V.se));
  assert.match(formatReport(mitbihReport(result)), /Q beats excluded/);
});

test('PTB-XL result and HTML report: macro_auroc, auroc per class, inline SVG figures', async () => {
  const m = fixture.multilabel;
  const result = ptbxlResult(m.labels, m.scores, m.classes, { bootstrap: { resamples: 50, seed: 2 } });
  assert.ok(Math.abs(result.macro_auroc! - m.macro_auroc) < 1e-12);
  assert.ok(Math.abs(result.auroc.MI! - m.auroc.MI!) < 1e-12);
  assert.equal(result.auroc.EMPTY, null);
  assert.match(result.notes.join('\n'), /AUROC of EMPTY skipped: no positive samples/);
  const report = ptbxlReport(result, m);
  assert.equal(report.roc!.length, 3, 'ROC only where defined');
  assert.equal(report.pr!.length, 4, 'PR wherever there are positives');
  const html = await renderHtml(report);
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.equal(svgs.length, 2);
  const [roc, pr] = svgs as [string, string];
  // Content check in lieu of looking at a picture: titles, axis titles, one legend entry and one path per curve.
  assert.match(roc, /ROC curves/);
  assert.match(roc, /False positive rate/);
  assert.match(roc, new RegExp(`NORM \\(AUROC ${m.auroc.NORM!.toFixed(3)}\\)`));
  assert.doesNotMatch(roc, /EMPTY/);
  // Layer 0 is the chance diagonal, layer 1 one line group per defined class; one legend symbol per class.
  assert.equal(count(roc, /class="mark-line role-mark layer_0_marks"/g), 1);
  assert.equal(count(roc, /class="mark-line role-mark layer_1_marks"/g), 3);
  assert.equal(count(roc, /class="mark-symbol role-legend-symbol"/g), 3);
  assert.match(pr, /Precision-recall curves/);
  assert.match(pr, /ALL \(AP 1\.000\)/);
  assert.equal(count(pr, /class="mark-line role-mark layer_0_marks"/g), 4);
  assert.match(html, /<td>macro AUROC<\/td><td>0\.\d{4} \[0\.\d{4}, 0\.\d{4}\]<\/td>/);
  assert.doesNotMatch(html, /NaN/);
  const markdown = renderMarkdown(report, { roc: 'r-roc.svg' });
  assert.match(markdown, /\| macro AUROC \| 0\.\d{4} \[/);
  assert.match(markdown, /!\[roc\]\(r-roc\.svg\)/);
});

test('confusion heat map and atomic report files', async () => {
  const result = cinc2017Result(reference, predicted, { bootstrap: false });
  assert.equal(result.ci95, null);
  const dir = mkdtempSync(join(tmpdir(), 'eval-report-'));
  try {
    const written = await writeReport(join(dir, 'cinc'), cinc2017Report(result), result);
    assert.deepEqual(written.figures, [join(dir, 'cinc-confusion.svg')]);
    const svg = readFileSync(written.figures[0]!, 'utf8');
    assert.match(svg, /Confusion matrix/);
    const cells = /<g class="mark-rect role-mark[^>]*>((?:<path[^>]*>)*)/.exec(svg)?.[1] ?? '';
    assert.equal(count(cells, /<path/g), 16, 'one rect per cell of the 4x4 matrix');
    for (const count of ['50', '20', '10', '9'])
      assert.match(svg, new RegExp(`>${count}</text>`), `cell ${count}`);
    assert.match(readFileSync(written.html, 'utf8'), /<figure id="figure-confusion"><svg/);
    assert.match(readFileSync(written.markdown, 'utf8'), /!\[confusion\]\(cinc-confusion\.svg\)/);
    assert.equal(JSON.parse(readFileSync(written.json!, 'utf8')).f1_per_class['~'], 0.6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a macro interval averages the same classes in every resample; the note gives the interval level', () => {
  // Class A: AUROC 1. Class R: 2 positives ranked lowest, AUROC 0. The macro is 0.5, and every resample that draws
  // a positive of R also gives 0.5; one without R's positives is no draw of the same macro (it read 1.0 before).
  const labels: number[][] = [];
  const scores: number[][] = [];
  for (let i = 0; i < 60; i++) {
    const a = i % 2;
    labels.push([a, i < 2 ? 1 : 0]);
    scores.push([a ? 0.9 : 0.1, i < 2 ? 0 : 0.5 + (i % 7) / 100]);
  }
  const result = ptbxlResult(labels, scores, ['A', 'R'], { bootstrap: { resamples: 300, seed: 1 } });
  assert.equal(result.macro_auroc, 0.5);
  assert.deepEqual(result.ci95!.macro_auroc, [0.5, 0.5]);
  assert.ok(result.notes.some((note) => /^macro_auroc: undefined on \d+ of 300 resamples/.test(note)));
  const half = ptbxlResult(labels, scores, ['A', 'R'], { bootstrap: { resamples: 50, seed: 1, level: 0.5 } });
  assert.ok(half.notes.some((note) => note.startsWith('50 % intervals: percentile bootstrap')));
});
