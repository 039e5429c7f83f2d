/**
 * The EfficientECG page. A record is read (src/io) and diagnosed (src/infer's Predictor on onnxruntime-web) inside
 * the page: its bytes never leave the device. The server only hands out the page, the models, the wasm runtime and
 * the example records (downloads, never uploads).
 */
import * as ort from 'onnxruntime-web';
import type { EcgRecord } from '../../src/io/record.js';
import { readRecordFromFiles } from '../../src/io/read.js';
import { diagnose as diagnoseWith } from '../../src/infer/diagnose.js';
import { legendLine } from '../../src/infer/legend.js';
import type { ModelInfo } from '../../src/infer/metadata.js';
import { AGE_RANGE, isAcceptedAge, type PatientValues } from '../../src/infer/patients.js';
import { classText, measurementText } from '../../src/infer/predict-output.js';
import { Predictor } from '../../src/infer/predictor.js';
import type { EcgResult } from '../../src/infer/result.js';
import { routeRecord } from '../../src/infer/route.js';
import { detectQrs } from '../../src/signal/qrs.js';
import { beatQuality, classifyBeats, pause, type ClassifiedBeats } from './beats.js';
import {
  beatStyle,
  clampView,
  drawPaper,
  duration,
  traceOf,
  visibleSeconds,
  type Overlay,
  type Trace,
  type View,
} from './paper.js';

interface ModelEntry {
  name: string;
  url: string;
  labels: string[];
  leads: string[];
  fs: number;
  task: 'records' | 'beats';
  untrained: boolean;
  /** A candidate for automatic routing (the catalogue's default of its dataset). */
  default: boolean;
}

interface ExampleEntry {
  name: string;
  files: Array<{ name: string; url: string }>;
}

// Our server serves the runtime's wasm files at /ort/ (no CDN); one thread needs no cross-origin isolation.
ort.env.wasm.wasmPaths = '/ort/';
ort.env.wasm.numThreads = 1;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  fileInput: byId<HTMLInputElement>('file-input'),
  dropZone: byId<HTMLElement>('drop-zone'),
  exampleSelect: byId<HTMLSelectElement>('example-select'),
  modelSelect: byId<HTMLSelectElement>('model-select'),
  age: byId<HTMLInputElement>('age'),
  sex: byId<HTMLSelectElement>('sex'),
  csvFs: byId<HTMLInputElement>('csv-fs'),
  diagnose: byId<HTMLButtonElement>('diagnose'),
  error: byId<HTMLElement>('error'),
  status: byId<HTMLElement>('status'),
  progress: byId<HTMLProgressElement>('progress'),
  diagnosis: byId<HTMLElement>('diagnosis'),
  recordInfo: byId<HTMLElement>('record-info'),
  canvas: byId<HTMLCanvasElement>('ecg'),
  zoomIn: byId<HTMLButtonElement>('zoom-in'),
  zoomOut: byId<HTMLButtonElement>('zoom-out'),
  zoomReset: byId<HTMLButtonElement>('zoom-reset'),
  viewInfo: byId<HTMLElement>('view-info'),
};

const state = {
  models: [] as ModelEntry[],
  examples: [] as ExampleEntry[],
  predictors: new Map<string, Promise<Predictor>>(),
  /** The files last picked, dropped or chosen: read again for another Hz or after a failed read. */
  files: null as Map<string, Uint8Array> | null,
  /** The record read from `files` (null: none, or its read failed). */
  record: null as EcgRecord | null,
  /** The record on paper (leads in mV), made once per record. */
  trace: null as Trace | null,
  view: { zoom: 1, offset: 0 } as View,
  overlay: { saliency: null, rPeaks: null, beats: null } as Overlay,
  /** Bumped by every pick: an older pick that arrives later is dropped. */
  pick: 0,
  /** A pick is downloading or reading its files; it diagnoses on arrival, with the model selected then. */
  reading: false,
  /** Bumped by every pick and every diagnosis: an older diagnosis sees it changed and stops. */
  run: 0,
};

function showError(message: string | null): void {
  ui.error.textContent = message ?? '';
  ui.error.hidden = message === null;
}

function setStatus(message: string): void {
  ui.status.textContent = message;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function init(): Promise<void> {
  [state.models, state.examples] = await Promise.all([
    getJson<ModelEntry[]>('/api/models'),
    getJson<ExampleEntry[]>('/api/examples'),
  ]);
  for (const model of state.models) ui.modelSelect.add(new Option(modelTitle(model), model.name));
  for (const example of state.examples) ui.exampleSelect.add(new Option(example.name, example.name));
  setStatus(state.models.length === 0 ? 'No models on this server.' : 'Open, drop or pick an ECG.');
}

function modelTitle(model: ModelEntry): string {
  const note = model.untrained ? ' — UNTRAINED dev model' : '';
  const what =
    model.task === 'beats'
      ? `beats ${model.labels.join('/')}; ${model.leads.join(', ')}, ${model.fs} Hz`
      : `${model.leads.length} leads, ${model.fs} Hz`;
  return `${model.name} (${what})${note}`;
}

/** Files from the user's disk: read here, never sent anywhere. */
async function filesFromList(list: readonly File[]): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const file of list) files.set(file.name, new Uint8Array(await file.arrayBuffer()));
  return files;
}

async function filesOfExample(name: string): Promise<Map<string, Uint8Array>> {
  const example = state.examples.find((e) => e.name === name);
  if (!example) throw new Error(`example ${name}: not offered by this server`);
  const files = new Map<string, Uint8Array>();
  await Promise.all(
    example.files.map(async (file) => {
      const response = await fetch(file.url);
      if (!response.ok) throw new Error(`${file.url}: HTTP ${response.status}`);
      files.set(file.name, new Uint8Array(await response.arrayBuffer()));
    }),
  );
  return files;
}

/**
 * Reads a picked record and diagnoses it, unless a newer pick came meanwhile. Only a pick supersedes a pick: a
 * diagnosis asked for meanwhile (Diagnose, another model) waits for it.
 */
function pickRecord(what: string, read: () => Promise<Map<string, Uint8Array>>): void {
  const pick = ++state.pick;
  state.run++; // stops the diagnosis of the record shown
  state.reading = true;
  state.files = null;
  clearDiagnosis();
  setStatus(`Reading ${what}…`);
  guarded(
    async () => {
      const record = await readPick(read, pick);
      if (record === null) return;
      showRecord(record);
      diagnoseShown();
    },
    () => pick === state.pick,
  );
}

/** The picked record, or null once a newer pick came; a failed read leaves no record shown. */
async function readPick(
  read: () => Promise<Map<string, Uint8Array>>,
  pick: number,
): Promise<EcgRecord | null> {
  try {
    const files = await read();
    if (pick !== state.pick) return null;
    state.files = files;
    const fs = Number(ui.csvFs.value);
    const record = await readRecordFromFiles(files, fs > 0 ? { fs } : {});
    return pick === state.pick ? record : null;
  } catch (error) {
    if (pick === state.pick) forgetRecord();
    throw error;
  } finally {
    if (pick === state.pick) state.reading = false;
  }
}

/** Reads the kept files again (another Hz, or Diagnose after a failed read). */
function rereadFiles(files: Map<string, Uint8Array>): void {
  pickRecord([...files.keys()].join(', '), () => Promise.resolve(files));
}

/** Files whose sampling rate may come from the Hz field: no header (.hea) or EDF to give one. */
function usesHzField(files: Map<string, Uint8Array>): boolean {
  return ![...files.keys()].some((name) => /\.(hea|edf)$/i.test(name));
}

function forgetRecord(): void {
  state.record = null;
  state.trace = null;
  ui.recordInfo.textContent = '';
  ui.viewInfo.textContent = '';
  ui.canvas.getContext('2d')?.clearRect(0, 0, ui.canvas.width, ui.canvas.height);
}

function showRecord(record: EcgRecord): void {
  state.record = record;
  state.trace = traceOf(record);
  state.view = { zoom: 1, offset: 0 };
  state.overlay = { saliency: null, rPeaks: rPeaksOf(record), beats: null };
  ui.age.value = record.age === null ? '' : String(record.age);
  ui.sex.value = record.sex === 'male' || record.sex === 'female' ? record.sex : '';
  ui.recordInfo.textContent = `${record.name}: ${record.leads.length} lead(s) (${record.leads.join(', ')}), ${record.fs} Hz, ${duration(state.trace).toFixed(1)} s`;
  redraw();
}

function rPeaksOf(record: EcgRecord): Int32Array | null {
  try {
    return detectQrs(record.signals, record.fs).rPeaks;
  } catch {
    return null;
  }
}

function redraw(): void {
  const trace = state.trace;
  if (!trace) return;
  state.view = clampView(trace, state.view);
  drawPaper(ui.canvas, trace, state.view, state.overlay);
  const end = state.view.offset + visibleSeconds(state.view);
  ui.viewInfo.textContent = `${state.view.offset.toFixed(1)}–${Math.min(end, duration(trace)).toFixed(1)} s, zoom ${state.view.zoom}x`;
}

/** The chosen model, or the one `efficientecg predict` would route the record to (src/infer/route.ts). */
function modelFor(record: EcgRecord): ModelEntry {
  const chosen = ui.modelSelect.value;
  if (chosen !== 'auto') {
    const model = state.models.find((m) => m.name === chosen);
    if (!model) throw new Error(`model ${chosen}: not offered by this server`);
    return model;
  }
  const defaults = state.models.filter((m) => m.default);
  try {
    return routeRecord(record.leads, defaults.length > 0 ? defaults : state.models);
  } catch {
    throw new Error(
      `no model on this server reads a record with leads [${record.leads.join(', ')}]: pick one under “Model”`,
    );
  }
}

function predictorFor(model: ModelEntry): Promise<Predictor> {
  let pending = state.predictors.get(model.name);
  if (!pending) {
    pending = Predictor.load(new URL(model.url, location.href), { backend: 'web', name: model.name });
    pending.catch(() => state.predictors.delete(model.name));
    state.predictors.set(model.name, pending);
  }
  return pending;
}

/**
 * The patient for `info`'s model, and a note when the record's own age was dropped. The age counts only for a
 * model that reads one: a header age outside 0-130 is taken as unknown, a typed one is an error on the field.
 */
function patientFor(
  info: Pick<ModelInfo, 'patientGroups'>,
  record: EcgRecord,
): { patient: PatientValues; note: string | null } {
  const sex = ui.sex.value === '' ? null : ui.sex.value;
  const text = ui.age.value.trim();
  if (!info.patientGroups.some((g) => g.name === 'age') || text === '')
    return { patient: { age: null, sex }, note: null };
  const age = Number(text);
  if (isAcceptedAge(age)) return { patient: { age, sex }, note: null };
  if (text === String(record.age)) {
    const note = `The record's age ${text} is outside ${AGE_RANGE.min}-${AGE_RANGE.max} years: taken as unknown.`;
    return { patient: { age: null, sex }, note };
  }
  ui.age.setAttribute('aria-invalid', 'true');
  throw new Error(`age: must be ${AGE_RANGE.min}-${AGE_RANGE.max} years, got ${text}`);
}

/** Hides the error, the progress bar and the diagnosis (and its EcgResult) of an earlier run. */
function clearDiagnosis(): void {
  showError(null);
  ui.age.removeAttribute('aria-invalid');
  ui.progress.hidden = true;
  ui.progress.value = 0;
  ui.progress.max = 1;
  showDiagnosis([], null);
}

/** Shows the progress bar while `action` runs, hidden after it unless a newer run took the bar over. */
async function withProgress<T>(run: number, action: () => Promise<T>): Promise<T> {
  ui.progress.hidden = false;
  try {
    return await action();
  } finally {
    if (run === state.run) ui.progress.hidden = true;
  }
}

/** Diagnoses the shown record as run `run` (taken by the caller, before any await). */
async function diagnose(run: number): Promise<void> {
  const record = state.record;
  if (!record) return;
  clearDiagnosis();
  const model = modelFor(record);
  state.overlay = { ...state.overlay, saliency: null, beats: null };
  setStatus(`Diagnosing with ${model.name} in this page…`);
  const predictor = await predictorFor(model);
  if (run !== state.run) return;
  if (model.task === 'beats') await diagnoseBeats(model, predictor, record, run);
  else await diagnoseRecord(model, predictor, record, run);
}

/** The same diagnose() as `efficientecg predict` and POST /api/predict: quality gate, classes, measurements. */
async function diagnoseRecord(model: ModelEntry, predictor: Predictor, record: EcgRecord, run: number) {
  // The saliency re-runs every window once per half second: long records take a while, so it shows progress and
  // stops (PredictionStoppedError, dropped by guarded()) once another record or model is picked.
  const { patient, note } = patientFor(predictor.info, record);
  const result = await withProgress(run, () =>
    diagnoseWith({ name: model.name, info: predictor.info }, predictor, record, {
      patient,
      saliency: { segmentSeconds: 0.5 },
      onProgress: async (done, total) => {
        if (run !== state.run) return false;
        ui.progress.max = Math.max(1, total);
        ui.progress.value = done;
        setStatus(`Diagnosing with ${model.name} in this page: ${done} / ${total} forward passes`);
        await pause();
        return run === state.run;
      },
    }),
  );
  if (run !== state.run) return;
  state.overlay = { ...state.overlay, saliency: result.saliency };
  renderDiagnosis(model, result, note === null ? [] : [note]);
  redraw();
  setStatus(`Diagnosed with ${model.name} (onnxruntime-web, in this page).`);
}

/** Every detected beat classified in batches, with progress; the labels are drawn at the R peaks. */
async function diagnoseBeats(model: ModelEntry, predictor: Predictor, record: EcgRecord, run: number) {
  // The quality gate first, as diagnose() runs it for record models: no beats are classified on an unusable lead.
  const quality = beatQuality(record, predictor.info);
  if (!quality.diagnosable) {
    showDiagnosis([notDiagnosable(quality.summary)], null);
    setStatus(`Not diagnosed: ${quality.summary}`);
    return;
  }
  const rPeaks = state.overlay.rPeaks ?? new Int32Array(0);
  const result = await withProgress(run, () =>
    classifyBeats(predictor, record, rPeaks, {
      onProgress: (done, total) => {
        if (run !== state.run) return false;
        ui.progress.max = Math.max(1, total);
        ui.progress.value = done;
        setStatus(`Classifying beats with ${model.name} in this page: ${done} / ${total}`);
        return true;
      },
    }),
  );
  if (result === null || run !== state.run) return;
  state.overlay = { ...state.overlay, beats: result.beats };
  renderBeats(model, result);
  redraw();
  setStatus(`Classified ${result.beats.length} beats with ${model.name} (onnxruntime-web, in this page).`);
}

/** A probability bar; `threshold` is drawn as a mark on the track and written beside the value. */
function bar(
  label: string,
  value: number,
  strong: boolean,
  threshold: number | null = null,
  title = '',
): HTMLElement {
  const row = document.createElement('div');
  row.className = strong ? 'bar predicted' : 'bar';
  const name = document.createElement('span');
  name.className = 'bar-label';
  name.textContent = label;
  name.title = title;
  const track = document.createElement('span');
  track.className = 'bar-track';
  const fill = document.createElement('span');
  fill.className = 'bar-fill';
  fill.style.width = `${(value * 100).toFixed(1)}%`;
  track.append(fill);
  if (threshold !== null) {
    const mark = document.createElement('span');
    mark.className = 'bar-threshold';
    mark.style.left = `${(threshold * 100).toFixed(1)}%`;
    track.append(mark);
  }
  const number = document.createElement('span');
  number.className = 'bar-value';
  number.textContent = `${(value * 100).toFixed(1)} %${threshold === null ? '' : ` (threshold ${(threshold * 100).toFixed(1)} %)`}${strong ? ' ✓' : ''}`;
  row.append(name, track, number);
  return row;
}

function paragraph(className: string, text: string, id?: string): HTMLElement {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = text;
  if (id) p.id = id;
  return p;
}

function notDiagnosable(summary: string): HTMLElement {
  return paragraph(
    'not-diagnosable',
    `Not diagnosable: ${summary.replace(/^not diagnosable: /, '')}`,
    'predicted',
  );
}

function heading(text: string): HTMLElement {
  const h = document.createElement('h3');
  h.textContent = text;
  return h;
}

function untrainedWarning(): HTMLElement {
  const warn = document.createElement('p');
  warn.className = 'untrained';
  warn.textContent = 'UNTRAINED development model: random weights. These numbers are NOT a diagnosis.';
  return warn;
}

function notices(texts: readonly string[]): HTMLElement[] {
  return texts.map((notice) => {
    const p = document.createElement('p');
    p.className = 'notice';
    p.textContent = notice;
    return p;
  });
}

/** Shows a diagnosis and its EcgResult (null: none) for programs reading the page (schema of predict --format json). */
function showDiagnosis(parts: HTMLElement[], result: EcgResult | null): void {
  if (result) ui.diagnosis.dataset.result = JSON.stringify(result);
  else delete ui.diagnosis.dataset.result;
  ui.diagnosis.replaceChildren(...parts);
}

/** `pageNotes`: what the page itself adds (not part of the EcgResult). */
function renderDiagnosis(model: ModelEntry, result: EcgResult, pageNotes: readonly string[]): void {
  const parts: HTMLElement[] = [];
  if (result.untrained) parts.push(untrainedWarning());
  if (!result.quality.diagnosable || result.labels === null) {
    parts.push(notDiagnosable(result.quality.summary), ...notices([...pageNotes, ...result.notices]));
    showDiagnosis(parts, result);
    return;
  }
  const summary = `Diagnosis: ${result.labels.join(', ') || 'no class above its threshold'}`;
  parts.push(paragraph('', summary, 'predicted'));
  if (result.quality.flags.length > 0)
    parts.push(
      paragraph(
        'quality-warning',
        `Signal quality: ${result.quality.flags.map((f) => f.message).join('; ')}`,
      ),
    );
  const measured = measurementText(result);
  if (measured) parts.push(paragraph('measurements', measured, 'measurements'));
  parts.push(heading(`Probabilities (${model.name})`));
  for (const c of [...result.classes].sort((a, b) => b.probability - a.probability)) {
    parts.push(bar(`${c.label}`, c.probability, c.passed, c.threshold, `${c.name}: ${classText(c)}`));
  }
  if (result.noise && !result.noise.passed)
    parts.push(
      paragraph(
        'note',
        `The model's own noise class ${result.noise.label}: ${(result.noise.probability * 100).toFixed(1)} %`,
      ),
    );
  parts.push(paragraph('note legend', `Legend: ${legendLine(result.classes.map((c) => c.label))}`));
  if (result.attention) {
    parts.push(heading('Attention of the ECG on the patient features'));
    for (const [token, share] of Object.entries(result.attention)) parts.push(bar(token, share, false));
  }
  if (result.saliency) {
    parts.push(
      paragraph(
        'note',
        `Shaded: where hiding ${result.saliency.segmentSeconds} s of signal lowers “${result.saliency.label}” most (occlusion). Blue marks: detected R peaks.`,
      ),
    );
  }
  if (result.measurements) parts.push(paragraph('note', `Measurements: ${result.measurements.method}`));
  parts.push(...notices([...pageNotes, ...result.notices]));
  showDiagnosis(parts, result);
}

/** Beats shown in the list of non-N beats (each pans the trace to it); the counts cover them all. */
const LISTED_BEATS = 200;

function renderBeats(model: ModelEntry, result: ClassifiedBeats): void {
  const parts: HTMLElement[] = [];
  if (result.untrained) parts.push(untrainedWarning());
  const total = result.beats.length;
  const summary = document.createElement('p');
  summary.id = 'predicted';
  const counted = Object.entries(result.counts).map(([label, n]) => `${label} ${n}`);
  summary.textContent = `Beats: ${total} (${counted.join(', ')})`;
  parts.push(summary, heading(`Beat classes (${model.name})`), beatTable(result.counts, total));
  const outstanding = result.beats.filter((beat) => beatStyle(beat.label).outstanding);
  if (outstanding.length > 0) {
    parts.push(
      heading(
        `Non-N beats (${outstanding.length}${outstanding.length > LISTED_BEATS ? `, first ${LISTED_BEATS}` : ''})`,
      ),
    );
    parts.push(beatList(outstanding.slice(0, LISTED_BEATS)));
  }
  const note = document.createElement('p');
  note.className = 'note';
  note.textContent =
    'Letters on the trace: each beat’s class at its R peak (blue marks); non-N beats bold on a tinted band.';
  parts.push(note, ...notices(result.notices));
  showDiagnosis(parts, null);
}

function beatTable(counts: Record<string, number>, total: number): HTMLElement {
  const table = document.createElement('table');
  table.id = 'beat-counts';
  for (const [label, count] of Object.entries(counts)) {
    const style = beatStyle(label);
    const row = table.insertRow();
    row.dataset.label = label;
    const name = document.createElement('th');
    name.textContent = label;
    name.style.color = style.colour;
    name.title = style.name;
    row.append(name);
    row.insertCell().textContent = style.name;
    const cell = row.insertCell();
    cell.className = 'count';
    cell.textContent = String(count);
    row.insertCell().textContent = `${total > 0 ? ((100 * count) / total).toFixed(1) : '0.0'} %`;
  }
  return table;
}

function beatList(beats: ReadonlyArray<{ sample: number; label: string }>): HTMLElement {
  const list = document.createElement('div');
  list.className = 'beat-list';
  const fs = state.record!.fs;
  for (const beat of beats) {
    const button = document.createElement('button');
    button.type = 'button';
    button.style.color = beatStyle(beat.label).colour;
    button.textContent = `${beat.label} ${(beat.sample / fs).toFixed(1)} s`;
    button.addEventListener('click', () => {
      state.view = { ...state.view, offset: beat.sample / fs - visibleSeconds(state.view) / 2 };
      redraw();
    });
    list.append(button);
  }
  return list;
}

/**
 * Runs an action, showing its failure (a typed reader/model error names the file and the problem) while it is
 * `current`: the failure of a superseded pick or diagnosis is dropped.
 */
function guarded(action: () => Promise<void>, current: () => boolean = () => true): void {
  action().catch((error: unknown) => {
    if (!current()) return;
    setStatus('');
    showError(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  });
}

/** Diagnoses the shown record with the selected model, superseding an earlier diagnosis but never a pending pick. */
function diagnoseShown(): void {
  if (state.reading || !state.record) return;
  const run = ++state.run;
  guarded(
    () => diagnose(run),
    () => run === state.run,
  );
}

function onDiagnoseClick(): void {
  if (state.reading) return; // the pending pick diagnoses on arrival
  if (state.record) diagnoseShown();
  else if (state.files) rereadFiles(state.files);
  else showError('No record to diagnose: open, drop or pick an ECG first.');
}

function onHzChange(): void {
  const files = state.files;
  if (state.reading || !files) return;
  if (state.record === null || usesHzField(files)) rereadFiles(files);
}

/** Files from the disk (chosen or dropped): no longer the example picked before. */
function pickFiles(list: File[]): void {
  ui.exampleSelect.value = '';
  pickRecord(list.map((f) => f.name).join(', '), () => filesFromList(list));
}

function zoom(factor: number | null): void {
  state.view = factor === null ? { zoom: 1, offset: 0 } : { ...state.view, zoom: state.view.zoom * factor };
  redraw();
}

function wirePanning(): void {
  let dragFrom: { x: number; offset: number } | null = null;
  ui.canvas.addEventListener('pointerdown', (event) => {
    dragFrom = { x: event.clientX, offset: state.view.offset };
    ui.canvas.setPointerCapture(event.pointerId);
  });
  ui.canvas.addEventListener('pointermove', (event) => {
    if (!dragFrom || !state.record) return;
    const secondsPerPx = visibleSeconds(state.view) / ui.canvas.clientWidth;
    state.view = { ...state.view, offset: dragFrom.offset - (event.clientX - dragFrom.x) * secondsPerPx };
    redraw();
  });
  ui.canvas.addEventListener('pointerup', () => (dragFrom = null));
  ui.canvas.addEventListener('keydown', (event) => {
    const step = visibleSeconds(state.view) / 4;
    if (event.key === 'ArrowRight') state.view = { ...state.view, offset: state.view.offset + step };
    else if (event.key === 'ArrowLeft') state.view = { ...state.view, offset: state.view.offset - step };
    else return;
    redraw();
  });
}

function wire(): void {
  ui.fileInput.addEventListener('change', () => {
    const files = [...(ui.fileInput.files ?? [])];
    ui.fileInput.value = ''; // choosing the same file again fires 'change' again (the File objects stay readable)
    if (files.length > 0) pickFiles(files);
  });
  ui.dropZone.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.dropZone.classList.add('over');
  });
  ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('over'));
  ui.dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.dropZone.classList.remove('over');
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length > 0) pickFiles(files);
  });
  ui.exampleSelect.addEventListener('change', () => {
    const name = ui.exampleSelect.value;
    if (name) pickRecord(name, () => filesOfExample(name));
  });
  ui.diagnose.addEventListener('click', onDiagnoseClick);
  ui.modelSelect.addEventListener('change', diagnoseShown);
  ui.csvFs.addEventListener('change', onHzChange);
  ui.zoomIn.addEventListener('click', () => zoom(2));
  ui.zoomOut.addEventListener('click', () => zoom(0.5));
  ui.zoomReset.addEventListener('click', () => zoom(null));
  globalThis.addEventListener('resize', redraw);
  wirePanning();
}

wire();
guarded(init);
