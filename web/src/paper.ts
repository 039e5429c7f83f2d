/**
 * ECG paper on a canvas: 25 mm/s, 10 mm/mV, 1 mm minor and 5 mm major grid. Twelve leads in the standard 3 x 4
 * layout (each column shows the next quarter of the visible time) plus a lead II rhythm strip; any other record:
 * one full-width strip per lead. Zoom scales millimetres to pixels (fewer seconds visible); pan shifts the start.
 * The occlusion saliency is shaded behind the traces and R peaks are marked on full-width strips; a beat model's
 * classes are written at their R peaks (non-N beats bold, in their colour, over a tinted band).
 */
import type { AamiClass } from '../../src/datasets/mitdb/aami.js';
import type { EcgRecord } from '../../src/io/record.js';
import { millivoltsPer, robustPeakToPeak } from '../../src/signal/units.js';

export const PAPER = {
  mmPerSecond: 25,
  mmPerMv: 10,
  /** Seconds across the canvas at zoom 1 (a standard 12-lead page is 10 s). */
  baseSeconds: 10,
  rowMm: 30,
  stripRowMm: 40,
  minorColour: '#f6c9c9',
  majorColour: '#e48f8f',
  background: '#fff8f6',
  traceColour: '#111111',
  saliencyRgb: '255, 170, 0',
  peakColour: '#1f5fbf',
  labelFont: '12px sans-serif',
} as const;

export interface BeatStyle {
  /** What the class stands for (AAMI EC57). */
  name: string;
  colour: string;
  /** Drawn bold over a tinted band, so it stands out among the normal beats. */
  outstanding: boolean;
}

/** How each AAMI beat class is written on the trace (and coloured in the counts table). */
export const BEAT_STYLES: Readonly<Record<AamiClass, BeatStyle>> = {
  N: { name: 'normal or bundle branch block', colour: '#6b7a90', outstanding: false },
  S: { name: 'supraventricular ectopic', colour: '#0a8f3c', outstanding: true },
  V: { name: 'ventricular ectopic', colour: '#d7191c', outstanding: true },
  F: { name: 'fusion of ventricular and normal', colour: '#8e44ad', outstanding: true },
  Q: { name: 'paced or unclassifiable', colour: '#b07800', outstanding: true },
};

/** A class outside the AAMI five (another beat model's labels). */
const OTHER_BEAT: BeatStyle = { name: '', colour: '#c2185b', outstanding: true };

export function beatStyle(label: string): BeatStyle {
  return (BEAT_STYLES as Readonly<Record<string, BeatStyle>>)[label] ?? OTHER_BEAT;
}

/** The standard 3 x 4 arrangement (rows of columns), by canonical lead name. */
const TWELVE_LEAD_GRID = [
  ['I', 'AVR', 'V1', 'V4'],
  ['II', 'AVL', 'V2', 'V5'],
  ['III', 'AVF', 'V3', 'V6'],
] as const;

export interface Trace {
  fs: number;
  leads: string[];
  /** Per lead in mV; a lead in no voltage unit is scaled to fit its strip and noted. */
  signals: Float32Array[];
  /** Per lead: a note written after its name (null: none). */
  notes?: Array<string | null>;
}

/** Peak-to-peak height (mV on the paper) a lead in no voltage unit is scaled to. */
const UNSCALED_SPAN_MV = 2;

/** The record on paper: each lead in mV from its physical unit; one in no voltage unit fitted and marked. */
export function traceOf(record: Pick<EcgRecord, 'fs' | 'leads' | 'signals' | 'units'>): Trace {
  const notes: Array<string | null> = [];
  const signals = record.signals.map((signal, i) => {
    const unit = record.units[i] ?? 'mV';
    const scale = millivoltsPer(unit);
    notes.push(scale === null ? `${unit || 'no unit'}: not mV, scaled to fit` : null);
    if (scale !== null) return scale === 1 ? signal : signal.map((v) => v * scale);
    return fitted(signal);
  });
  return { fs: record.fs, leads: record.leads, signals, notes };
}

/** A lead of unknown unit centred on its mean and scaled to UNSCALED_SPAN_MV peak to peak. */
function fitted(signal: Float32Array): Float32Array {
  const finite = signal.filter(Number.isFinite);
  const mean = finite.reduce((sum, v) => sum + v, 0) / Math.max(1, finite.length);
  const span = robustPeakToPeak(finite);
  return signal.map((v) => ((v - mean) * UNSCALED_SPAN_MV) / (span > 0 ? span : 1));
}

const stripLabel = (trace: Trace, lead: number) => {
  const note = trace.notes?.[lead];
  return note ? `${trace.leads[lead]!} (${note})` : trace.leads[lead]!;
};

export interface Overlay {
  /** Segment start times (s), importance (any scale; shown relative to the largest), segment length (s). */
  saliency: { times: number[]; importance: number[]; segmentSeconds: number } | null;
  /** R-peak sample indices. */
  rPeaks: Int32Array | null;
  /** A beat model's class per beat, at its R peak (record sample index). */
  beats: ReadonlyArray<{ sample: number; label: string }> | null;
}

export interface View {
  zoom: number;
  /** Start of the visible time, in seconds. */
  offset: number;
}

interface Strip {
  lead: number;
  label: string;
  /** Record time shown at the strip's left edge, and how many seconds it shows. */
  t0: number;
  seconds: number;
  /** Position on the paper in mm. */
  x: number;
  y: number;
  width: number;
  height: number;
}

const canonical = (name: string) => name.replace(/\s+/g, '').toUpperCase();

export function visibleSeconds(view: View): number {
  return PAPER.baseSeconds / view.zoom;
}

export function duration(trace: Trace): number {
  return (trace.signals[0]?.length ?? 0) / trace.fs;
}

/** Keeps the view inside the record. */
export function clampView(trace: Trace, view: View): View {
  const zoom = Math.min(8, Math.max(0.5, view.zoom));
  const maxOffset = Math.max(0, duration(trace) - PAPER.baseSeconds / zoom);
  return { zoom, offset: Math.min(maxOffset, Math.max(0, view.offset)) };
}

function isTwelveLead(trace: Trace): boolean {
  const names = new Set(trace.leads.map(canonical));
  return TWELVE_LEAD_GRID.flat().every((lead) => names.has(lead));
}

/** Where each lead goes, in mm (the paper's width is the visible seconds at 25 mm/s). */
export function layout(trace: Trace, view: View): { strips: Strip[]; widthMm: number; heightMm: number } {
  const seconds = visibleSeconds(view);
  const widthMm = seconds * PAPER.mmPerSecond;
  const strips: Strip[] = [];
  if (isTwelveLead(trace)) {
    const index = new Map(trace.leads.map((name, i) => [canonical(name), i]));
    const quarter = seconds / 4;
    TWELVE_LEAD_GRID.forEach((row, r) =>
      row.forEach((name, c) =>
        strips.push({
          lead: index.get(name)!,
          label: stripLabel(trace, index.get(name)!),
          t0: view.offset + c * quarter,
          seconds: quarter,
          x: c * (widthMm / 4),
          y: r * PAPER.rowMm,
          width: widthMm / 4,
          height: PAPER.rowMm,
        }),
      ),
    );
    const rhythm = index.get('II')!;
    strips.push({ ...fullStrip(rhythm, trace, view, widthMm), y: 3 * PAPER.rowMm, height: PAPER.rowMm });
    return { strips, widthMm, heightMm: 4 * PAPER.rowMm };
  }
  trace.leads.forEach((_, lead) =>
    strips.push({
      ...fullStrip(lead, trace, view, widthMm),
      y: lead * PAPER.stripRowMm,
      height: PAPER.stripRowMm,
    }),
  );
  return { strips, widthMm, heightMm: trace.leads.length * PAPER.stripRowMm };
}

function fullStrip(lead: number, trace: Trace, view: View, widthMm: number): Strip {
  return {
    lead,
    label: stripLabel(trace, lead),
    t0: view.offset,
    seconds: visibleSeconds(view),
    x: 0,
    y: 0,
    width: widthMm,
    height: PAPER.stripRowMm,
  };
}

/** Draws everything; returns the pixels per mm used (the canvas keeps its CSS width). */
export function drawPaper(canvas: HTMLCanvasElement, trace: Trace, view: View, overlay: Overlay): number {
  const { strips, widthMm, heightMm } = layout(trace, view);
  const pxPerMm = canvas.clientWidth / widthMm;
  const ratio = globalThis.devicePixelRatio || 1;
  canvas.width = Math.round(widthMm * pxPerMm * ratio);
  canvas.height = Math.round(heightMm * pxPerMm * ratio);
  canvas.style.height = `${heightMm * pxPerMm}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(ratio * pxPerMm, 0, 0, ratio * pxPerMm, 0, 0);
  drawGrid(ctx, widthMm, heightMm, pxPerMm);
  for (const strip of strips) {
    drawSaliency(ctx, strip, overlay.saliency);
    drawTrace(ctx, strip, trace, pxPerMm);
    if (strip.width === widthMm) {
      drawPeaks(ctx, strip, trace, overlay.rPeaks);
      drawBeatLabels(ctx, strip, trace, overlay.beats, pxPerMm);
    }
    drawLabel(ctx, strip, pxPerMm);
  }
  return pxPerMm;
}

function drawGrid(ctx: CanvasRenderingContext2D, widthMm: number, heightMm: number, pxPerMm: number): void {
  ctx.fillStyle = PAPER.background;
  ctx.fillRect(0, 0, widthMm, heightMm);
  const line = (mm: number, vertical: boolean) => {
    ctx.beginPath();
    ctx.moveTo(vertical ? mm : 0, vertical ? 0 : mm);
    ctx.lineTo(vertical ? mm : widthMm, vertical ? heightMm : mm);
    ctx.stroke();
  };
  // At least one device pixel wide, so the grid stays visible when zoomed out.
  for (const major of [false, true]) {
    ctx.strokeStyle = major ? PAPER.majorColour : PAPER.minorColour;
    ctx.lineWidth = Math.max(major ? 1.5 : 1, 1) / pxPerMm;
    for (let x = 0; x <= widthMm; x++) if ((x % 5 === 0) === major) line(x, true);
    for (let y = 0; y <= heightMm; y++) if ((y % 5 === 0) === major) line(y, false);
  }
}

function drawTrace(ctx: CanvasRenderingContext2D, strip: Strip, trace: Trace, pxPerMm: number): void {
  const signal = trace.signals[strip.lead]!;
  const first = Math.max(0, Math.floor(strip.t0 * trace.fs));
  const last = Math.min(signal.length - 1, Math.ceil((strip.t0 + strip.seconds) * trace.fs));
  const baseline = strip.y + strip.height / 2;
  ctx.save();
  ctx.beginPath();
  ctx.rect(strip.x, strip.y, strip.width, strip.height);
  ctx.clip();
  ctx.strokeStyle = PAPER.traceColour;
  ctx.lineWidth = 1.6 / pxPerMm;
  ctx.lineJoin = 'round';
  ctx.beginPath();
  let pen = false;
  for (let i = first; i <= last; i++) {
    const v = signal[i]!;
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    const x = strip.x + (i / trace.fs - strip.t0) * PAPER.mmPerSecond;
    const y = baseline - v * PAPER.mmPerMv;
    if (pen) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    pen = true;
  }
  ctx.stroke();
  ctx.restore();
}

function drawSaliency(ctx: CanvasRenderingContext2D, strip: Strip, saliency: Overlay['saliency']): void {
  if (!saliency) return;
  const max = Math.max(0, ...saliency.importance);
  if (max <= 0) return;
  saliency.times.forEach((time, k) => {
    const weight = Math.max(0, saliency.importance[k]!) / max;
    const start = Math.max(time, strip.t0);
    const end = Math.min(time + saliency.segmentSeconds, strip.t0 + strip.seconds);
    if (weight < 0.05 || end <= start) return;
    ctx.fillStyle = `rgba(${PAPER.saliencyRgb}, ${(0.45 * weight).toFixed(3)})`;
    const x = strip.x + (start - strip.t0) * PAPER.mmPerSecond;
    ctx.fillRect(x, strip.y, (end - start) * PAPER.mmPerSecond, strip.height);
  });
}

function drawPeaks(
  ctx: CanvasRenderingContext2D,
  strip: Strip,
  trace: Trace,
  peaks: Int32Array | null,
): void {
  if (!peaks) return;
  ctx.fillStyle = PAPER.peakColour;
  for (const sample of peaks) {
    const t = sample / trace.fs;
    if (t < strip.t0 || t > strip.t0 + strip.seconds) continue;
    const x = strip.x + (t - strip.t0) * PAPER.mmPerSecond;
    const y = strip.y + 2;
    ctx.beginPath();
    ctx.moveTo(x - 1.2, y);
    ctx.lineTo(x + 1.2, y);
    ctx.lineTo(x, y + 2);
    ctx.closePath();
    ctx.fill();
  }
}

/** Each beat's class under its R-peak mark: small letters, in device pixels so they stay legible at any zoom. */
function drawBeatLabels(
  ctx: CanvasRenderingContext2D,
  strip: Strip,
  trace: Trace,
  beats: Overlay['beats'],
  pxPerMm: number,
): void {
  if (!beats) return;
  const visible = beats.filter(({ sample }) => {
    const t = sample / trace.fs;
    return t >= strip.t0 && t <= strip.t0 + strip.seconds;
  });
  const xOf = (sample: number) => strip.x + (sample / trace.fs - strip.t0) * PAPER.mmPerSecond;
  for (const { sample, label } of visible) {
    const style = beatStyle(label);
    if (!style.outstanding) continue;
    ctx.fillStyle = `${style.colour}26`; // ~15 % opacity: a band behind the beat, the trace stays readable
    ctx.fillRect(xOf(sample) - 1.5, strip.y, 3, strip.height);
  }
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const ratio = globalThis.devicePixelRatio || 1;
  ctx.scale(ratio, ratio);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const { sample, label } of visible) {
    const style = beatStyle(label);
    const size = style.outstanding ? 13 : 10;
    ctx.font = style.outstanding ? `bold ${size}px sans-serif` : `${size}px sans-serif`;
    const x = xOf(sample) * pxPerMm;
    const y = (strip.y + 4.5) * pxPerMm;
    // A patch of paper behind the letter: a tall R wave drawn through it would hide it otherwise.
    const width = ctx.measureText(label).width + 2;
    ctx.fillStyle = PAPER.background;
    ctx.fillRect(x - width / 2, y, width, size);
    ctx.fillStyle = style.colour;
    ctx.fillText(label, x, y);
  }
  ctx.restore();
}

function drawLabel(ctx: CanvasRenderingContext2D, strip: Strip, pxPerMm: number): void {
  ctx.save();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  const ratio = globalThis.devicePixelRatio || 1;
  ctx.scale(ratio, ratio);
  ctx.font = PAPER.labelFont;
  ctx.fillStyle = '#333';
  ctx.fillText(strip.label, (strip.x + 1.5) * pxPerMm, (strip.y + 5) * pxPerMm);
  ctx.restore();
}
