/**
 * The signal-quality gate every face runs before a model sees a record (CLI predict, HTTP API, web page, library):
 * what it finds is reported with the diagnosis, and a record it finds unusable gets no diagnosis at all.
 *
 * Per lead (converted to mV from the record's units; NaN samples count as missing):
 * - flat: the lead's robust range (1st to 99th percentile) under 20 µV: no ECG was recorded (all-zero, lead off
 *   from the start, a placeholder channel). A lead whose unit is not a voltage (ADC units, z-scores) has no µV to
 *   compare: it is flat only when that range is 0;
 * - disconnected: at least 2 s, and at least 20 %, of the lead missing (NaN) or flat in 1 s blocks while the
 *   rest moves: the electrode came off during the recording;
 * - clipped: runs of at least 20 ms pinned at the lead's extreme value (the amplifier or ADC saturated) covering
 *   0.5 % of the samples or more; blocking from 5 %;
 * - noise (judged over the record): every moving lead the model reads has a QRS band (5-18 Hz) as light-tailed as
 *   Gaussian noise (kurtosis under 5; white noise measured 2.7-4.7, nearly all ECG leads 5.1-150), and on at least
 *   half of them the QRS detector finds its beats no stronger than what lies between them (one CinC 2017 record
 *   with an unusual rhythm has kurtosis 3.4, but clear beats). Judged per lead, a
 *   limb lead near the heart's axis (small QRS) looked like noise on 7 of 500 LUDB and PTB-XL records.
 * Per record: too-short, under MIN_SECONDS (no rhythm can be judged), or shorter than the model's window
 * (a warning: the short-record strategy fills the window, src/infer/prepare.ts).
 *
 * A flag blocks the diagnosis when it makes a lead the model reads unusable (flat, disconnected, noise, heavy
 * clipping) or the record too short; other flags are warnings shown beside the diagnosis.
 * Pure computation: runs in Node and in the browser.
 */
import { bandpass } from './detect/iir.js';
import { bridgeNans } from './gaps.js';
import { detectQrs } from './qrs.js';
import { leadsInMillivolts } from './units.js';

export const QUALITY_KINDS = ['flat', 'clipped', 'noise', 'disconnected', 'too-short'] as const;
export type QualityKind = (typeof QUALITY_KINDS)[number];

export interface QualityFlag {
  kind: QualityKind;
  /** Leads affected; empty for a finding about the whole record. */
  leads: string[];
  /** Whether this finding alone makes the record unusable for the model. */
  blocking: boolean;
  message: string;
}

export interface QualityReport {
  diagnosable: boolean;
  flags: QualityFlag[];
  /** "ok", "not diagnosable: flat lead II, V1-V6", or the warnings. */
  summary: string;
}

export interface QualityInput {
  fs: number;
  leads: readonly string[];
  signals: readonly Float32Array[];
  /** Per lead (an EcgRecord's); default mV. */
  units?: readonly string[];
}

export interface QualityOptions {
  /** Leads the model reads (by index into the record); default: all. Findings on other leads never block. */
  modelLeads?: readonly number[];
  /** The model's window in seconds: a shorter record gets a (non-blocking) too-short warning. */
  windowSeconds?: number;
}

export const QUALITY_DESIGN = {
  flatRangeMv: 0.02,
  blockSeconds: 1,
  disconnectedMinSeconds: 2,
  disconnectedShare: 0.2,
  clipRunSeconds: 0.02,
  clipWarnShare: 0.005,
  clipBlockShare: 0.05,
  qrsKurtosis: 5,
  minSeconds: 2.5,
} as const;

/** Runs the gate over a record (leads at their own rate and units). */
export function assessQuality(record: QualityInput, options: QualityOptions = {}): QualityReport {
  const read = new Set(options.modelLeads ?? record.leads.map((_, i) => i));
  const { signals, voltage } = leadsInMillivolts(record.signals, record.units);
  const findings = signals.map((signal, i) => ({
    lead: i,
    kind: leadFinding(signal, record.fs, voltage[i] ? QUALITY_DESIGN.flatRangeMv : 0),
  }));
  // A lead without QRS structure beside leads with it is a lead near the heart's axis, not noise: only a record
  // whose every moving lead the model reads looks like noise is "noise only".
  const moving = findings.filter((f) => read.has(f.lead) && f.kind?.kind !== 'flat');
  const looks = moving.map((f) => noiseLook(signals[f.lead]!, record.fs));
  const noiseOnly =
    looks.length > 0 &&
    looks.every((l) => l.lightTailed) &&
    looks.filter((l) => l.detectorNoisy).length * 2 >= looks.length;
  if (noiseOnly) for (const f of moving) f.kind = { kind: 'noise', blocking: true };
  const flags: QualityFlag[] = [];
  for (const kind of ['flat', 'clipped', 'disconnected', 'noise'] as const) {
    const hits = findings.filter((f) => f.kind?.kind === kind);
    if (hits.length === 0) continue;
    const blocking = hits.some((f) => read.has(f.lead) && f.kind!.blocking);
    const names = hits.map((f) => record.leads[f.lead] ?? `signal ${f.lead}`);
    flags.push({ kind, leads: names, blocking, message: `${MESSAGES[kind]} ${leadList(names)}` });
  }
  const seconds = (record.signals[0]?.length ?? 0) / record.fs;
  const short = tooShort(seconds, options.windowSeconds);
  if (short) flags.push(short);
  return { diagnosable: !flags.some((f) => f.blocking), flags, summary: summaryOf(flags) };
}

const MESSAGES: Record<Exclude<QualityKind, 'too-short'>, string> = {
  flat: 'flat',
  disconnected: 'disconnected during the recording:',
  noise: 'noise only (no QRS complexes):',
  clipped: 'clipped (saturated):',
};

function summaryOf(flags: readonly QualityFlag[]): string {
  const blocking = flags.filter((f) => f.blocking);
  if (blocking.length > 0) return `not diagnosable: ${blocking.map((f) => f.message).join('; ')}`;
  if (flags.length > 0) return `diagnosed with warnings: ${flags.map((f) => f.message).join('; ')}`;
  return 'ok';
}

/** "lead II" / "leads II, V1-V6": consecutive precordial leads joined into a range. */
export function leadList(names: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) {
    let j = i;
    while (j + 1 < names.length && precordialNext(names[j]!, names[j + 1]!)) j++;
    parts.push(j - i >= 2 ? `${names[i]}-${names[j]}` : names.slice(i, j + 1).join(', '));
    i = j;
  }
  return `${names.length === 1 ? 'lead' : 'leads'} ${parts.join(', ')}`;
}

function precordialNext(a: string, b: string): boolean {
  const ma = /^V(\d)$/i.exec(a);
  const mb = /^V(\d)$/i.exec(b);
  return ma !== null && mb !== null && Number(mb[1]) === Number(ma[1]) + 1;
}

function tooShort(seconds: number, windowSeconds: number | undefined): QualityFlag | null {
  const { minSeconds } = QUALITY_DESIGN;
  if (seconds < minSeconds)
    return {
      kind: 'too-short',
      leads: [],
      blocking: true,
      message: `too short: ${seconds.toFixed(1)} s (at least ${minSeconds} s needed)`,
    };
  if (windowSeconds !== undefined && seconds < windowSeconds - 1e-9)
    return {
      kind: 'too-short',
      leads: [],
      blocking: false,
      message: `shorter than the model's ${windowSeconds} s window (${seconds.toFixed(1)} s): filled by the short-record strategy`,
    };
  return null;
}

/**
 * The worst finding on one lead (flat > clipped > disconnected), or null; noise is judged over the record.
 * `flatRange`: the robust range under which the lead is flat (0 for a lead not in a voltage: only a constant one).
 */
function leadFinding(
  signal: Float32Array,
  fs: number,
  flatRange: number,
): { kind: QualityKind; blocking: boolean } | null {
  const valid = finiteValues(signal);
  if (valid.length === 0 || isFlat(valid, flatRange)) return { kind: 'flat', blocking: true };
  // Before disconnected: a lead pinned at the rail for seconds is saturated, not off.
  const clipped = clippedShare(signal, fs);
  if (clipped >= QUALITY_DESIGN.clipWarnShare)
    return { kind: 'clipped', blocking: clipped >= QUALITY_DESIGN.clipBlockShare };
  if (disconnected(signal, fs, flatRange)) return { kind: 'disconnected', blocking: true };
  return null;
}

const isFlat = (values: Float32Array, flatRange: number) => {
  const range = robustRange(values);
  return range === 0 || range < flatRange;
};

function finiteValues(signal: Float32Array): Float32Array {
  let n = 0;
  const out = new Float32Array(signal.length);
  for (const v of signal) if (Number.isFinite(v)) out[n++] = v;
  return out.subarray(0, n);
}

function robustRange(values: Float32Array): number {
  const sorted = Float32Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return at(0.99) - at(0.01);
}

/** Missing (NaN) or flat 1 s blocks over at least 2 s and 20 % of the lead, the rest moving. */
function disconnected(signal: Float32Array, fs: number, flatRange: number): boolean {
  const block = Math.max(1, Math.round(QUALITY_DESIGN.blockSeconds * fs));
  let dead = 0;
  let blocks = 0;
  for (let start = 0; start + block <= signal.length; start += block, blocks++) {
    const part = finiteValues(signal.subarray(start, start + block));
    if (part.length < block / 2 || isFlat(part, flatRange)) dead++;
  }
  return (
    dead * QUALITY_DESIGN.blockSeconds >= QUALITY_DESIGN.disconnectedMinSeconds &&
    dead >= QUALITY_DESIGN.disconnectedShare * blocks
  );
}

/** Share of samples in runs of >= 20 ms pinned at the lead's maximum or minimum. */
function clippedShare(signal: Float32Array, fs: number): number {
  let max = -Infinity;
  let min = Infinity;
  for (const v of signal) {
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const minRun = Math.max(3, Math.round(QUALITY_DESIGN.clipRunSeconds * fs));
  let pinned = 0;
  for (const extreme of [max, min]) {
    let run = 0;
    for (let i = 0; i <= signal.length; i++) {
      if (i < signal.length && signal[i] === extreme) run++;
      else {
        if (run >= minRun) pinned += run;
        run = 0;
      }
    }
  }
  return pinned / signal.length;
}

/**
 * A lead's QRS band as light-tailed as Gaussian noise; the QRS detector unable to tell beats from the rest. NaN gaps
 * are bridged (as detectQrs bridges them: a gap filled with 0 in a lead with a baseline offset made two steps whose
 * ringing looked like QRS complexes) and the kurtosis is taken over the samples that were there.
 */
function noiseLook(signal: Float32Array, fs: number): { lightTailed: boolean; detectorNoisy: boolean } {
  if (signal.length < 2 * fs) return { lightTailed: false, detectorNoisy: false };
  const { filled, nanMask } = bridgeNans(signal);
  const band = bandpass(filled, 5, Math.min(18, fs / 2.5), fs);
  if (kurtosis(band, nanMask) >= QUALITY_DESIGN.qrsKurtosis)
    return { lightTailed: false, detectorNoisy: false };
  return { lightTailed: true, detectorNoisy: detectQrs(signal, fs).flags.includes('noisy') };
}

/** Kurtosis of `x` over the samples not masked. */
function kurtosis(x: Float64Array, masked: Uint8Array): number {
  let mean = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (masked[i]) continue;
    mean += x[i]!;
    n++;
  }
  mean /= n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < x.length; i++) {
    if (masked[i]) continue;
    const d = (x[i]! - mean) ** 2;
    m2 += d;
    m4 += d * d;
  }
  m2 /= n;
  m4 /= n;
  return m2 > 0 ? m4 / (m2 * m2) : 0;
}
