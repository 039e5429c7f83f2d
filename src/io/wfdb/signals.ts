/**
 * Pure WFDB signal decoding: header + signal file bytes in, physical signals and checksum reports out.
 *
 * Choices (documented because WFDB leaves them to the reader):
 * - Signals with several samples per frame are returned at the frame rate (header fs): each frame's samples are
 *   averaged, ignoring invalid ones (NaN only if all are invalid). This is wfdb-python's `smooth_frames` default.
 * - Skew: output sample n of a signal with skew k is stored sample n + k; samples past the end of the file are NaN.
 * - Checksums cover the stored samples of frames 0..nSamples-1 (so skewed samples count, as header(5) says),
 *   compared modulo 2^16. They are reported per lead; `strict` turns a mismatch into a ChecksumError.
 * - A data file shorter than the header length is an error; trailing bytes beyond it are ignored and reported.
 * - Format 8 has no invalid-sample code: -128 there is a saturated difference (signal(5)), not a marker.
 */
import { ChecksumError, FormatError } from '../../errors.js';
import { checkSamples, readLimits, type ReadLimits } from '../limits.js';
import { formatSpec, NULL_FORMAT, samplesIn, type WfdbFormatSpec } from './formats.js';
import type { WfdbHeader, WfdbSignalSpec } from './header.js';

export interface ChecksumReport {
  lead: string;
  /** Checksum in the header (null if the header has none or the length is unspecified). */
  expected: number | null;
  /** 16-bit signed sum of the decoded digital samples. */
  actual: number;
  /** null when there was nothing to compare against (no checksum, or a field of 0: "not recorded"). */
  ok: boolean | null;
}

export interface WfdbSignals {
  signals: Float32Array[];
  nSamples: number;
  checksums: ChecksumReport[];
  /** Things a careful caller may want to know (e.g. trailing bytes beyond the header length). */
  notes: string[];
}

export interface WfdbSignalOptions {
  /** Throw ChecksumError when a checksum disagrees (default false: report only). */
  strict?: boolean;
  /** How errors name a data file (e.g. its full path or URL); default: the name in the header. */
  fileLabel?: (fileName: string) => string;
  /** Work budget (samples x leads, sampling rate); default DEFAULT_READ_LIMITS. */
  limits?: Partial<ReadLimits>;
}

/** Signals stored in one file, consecutive in the header. */
interface SignalGroup {
  fileName: string;
  indices: number[];
}

function groupSignals(header: WfdbHeader, source: string): SignalGroup[] {
  const groups: SignalGroup[] = [];
  header.signals.forEach((signal, index) => {
    const last = groups.at(-1);
    if (last && last.fileName === signal.fileName) last.indices.push(index);
    else {
      if (groups.some((g) => g.fileName === signal.fileName))
        throw new FormatError(source, `signals of file ${signal.fileName} are not consecutive in the header`);
      groups.push({ fileName: signal.fileName, indices: [index] });
    }
  });
  return groups;
}

/** Null signals (format 0) store nothing: no file is read for them. */
function isNullGroup(header: WfdbHeader, group: SignalGroup): boolean {
  return header.signals[group.indices[0]!]!.format === NULL_FORMAT;
}

const toSigned16 = (sum: number) => ((sum & 0xffff) << 16) >> 16;

/**
 * Decodes every signal of a single-segment record. `fileBytes(name)` returns a data file's bytes (it throws
 * MissingFileError itself if absent). Every problem is a FormatError naming the file.
 */
export function decodeWfdbSignals(
  header: WfdbHeader,
  fileBytes: (fileName: string) => Uint8Array,
  source: string,
  options: WfdbSignalOptions = {},
): WfdbSignals {
  if (header.nSegments !== null)
    throw new FormatError(
      source,
      'a multi-segment header has no signals of its own: read it with wfdbRecord (its segments hold them)',
    );
  const groups = groupSignals(header, source);
  const stored = groups.filter((group) => !isNullGroup(header, group));
  const label = options.fileLabel ?? ((name: string) => name);
  const layouts = stored.map((group) =>
    layoutGroup(header, group, fileBytes(group.fileName), label(group.fileName)),
  );
  const available = layouts.map((l) => l.framesAvailable);
  const nSamples = header.nSamples ?? available.reduce((a, b) => Math.min(a, b), available[0] ?? 0);
  const notes: string[] = [];
  for (const layout of layouts) checkLength(layout, nSamples, notes);
  // Before any output is allocated: stored signals are bounded by their files, null signals by nothing but this.
  const limits = readLimits(options.limits);
  checkSamples(source, nSamples, header.signals.length, limits);
  checkStoredSamples(source, layouts, nSamples, limits);
  const signals: Float32Array[] = new Array<Float32Array>(header.signals.length);
  const checksums: ChecksumReport[] = new Array<ChecksumReport>(header.signals.length);
  for (const layout of layouts) decodeGroup(header, layout, nSamples, signals, checksums);
  const nullGroups = groups.filter((g) => isNullGroup(header, g));
  for (const group of nullGroups) {
    for (const index of group.indices) {
      if (header.signals[index]!.format !== NULL_FORMAT)
        throw new FormatError(source, `signals sharing file ${group.fileName} must have the same format`);
      signals[index] = new Float32Array(nSamples).fill(NaN);
      checksums[index] = { lead: header.signals[index]!.description, expected: null, actual: 0, ok: null };
    }
  }
  if (options.strict) {
    const bad = checksums.filter((c) => c.ok === false);
    if (bad.length > 0)
      throw new ChecksumError(
        source,
        `checksum mismatch for ${bad.map((c) => `${c.lead} (header ${c.expected}, data ${c.actual})`).join(', ')}`,
      );
  }
  return { signals, nSamples, checksums, notes };
}

/** Frames of a group that are decoded: the header's length plus its largest skew, as far as the file holds them. */
function framesDecoded(layout: GroupLayout, nSamples: number): number {
  return Math.min(nSamples + layout.maxSkew, layout.framesAvailable);
}

/**
 * The work is every stored sample decoded, not the output: several samples per frame are averaged into one and
 * skew decodes frames past the length, so a header of 8192 samples may decode a 32 MB file. Refused beyond
 * maxSamples.
 */
function checkStoredSamples(
  source: string,
  layouts: GroupLayout[],
  nSamples: number,
  limits: ReadLimits,
): void {
  const stored = layouts.reduce((n, l) => n + l.frameSize * framesDecoded(l, nSamples), 0);
  if (stored > limits.maxSamples)
    throw new FormatError(
      source,
      `${stored} stored samples to decode (${layouts.map((l) => l.frameSize).join(' + ')} per frame) exceed ` +
        `the limit of ${limits.maxSamples} samples (raise maxSamples to read it)`,
    );
}

interface GroupLayout {
  group: SignalGroup;
  /** The data file as errors name it. */
  label: string;
  specs: WfdbSignalSpec[];
  format: WfdbFormatSpec;
  bytes: Uint8Array;
  /** Samples per frame of the whole group, and each signal's first position in a frame. */
  frameSize: number;
  positions: number[];
  framesAvailable: number;
  maxSkew: number;
}

function layoutGroup(header: WfdbHeader, group: SignalGroup, file: Uint8Array, label: string): GroupLayout {
  const specs = group.indices.map((i) => header.signals[i]!);
  const first = specs[0]!;
  for (const spec of specs) {
    if (spec.format !== first.format || spec.byteOffset !== first.byteOffset)
      throw new FormatError(label, 'signals sharing a file must have the same format and byte offset');
  }
  if (first.byteOffset > file.length)
    throw new FormatError(label, `byte offset ${first.byteOffset} is beyond the file's ${file.length} bytes`);
  const positions: number[] = [];
  let frameSize = 0;
  for (const spec of specs) {
    positions.push(frameSize);
    frameSize += spec.samplesPerFrame;
  }
  const bytes = file.subarray(first.byteOffset);
  const format = formatSpec(first.format);
  return {
    group,
    label,
    specs,
    format,
    bytes,
    frameSize,
    positions,
    framesAvailable: Math.floor(samplesIn(format, bytes.length) / frameSize),
    maxSkew: specs.reduce((max, s) => Math.max(max, s.skew), 0),
  };
}

/** Refuses a file too short for the header's length before anything is allocated; notes trailing bytes. */
function checkLength(layout: GroupLayout, nSamples: number, notes: string[]): void {
  const { label, format, bytes, frameSize } = layout;
  if (layout.framesAvailable < nSamples) {
    const needed = format.bytesFor(nSamples * frameSize);
    throw new FormatError(
      label,
      `truncated: header declares ${nSamples} samples (${needed} bytes of data) but the file holds ${bytes.length} ` +
        `bytes (${layout.framesAvailable} samples)`,
    );
  }
  const extra = bytes.length - format.bytesFor(nSamples * frameSize);
  if (extra > 0 && layout.maxSkew === 0)
    notes.push(`${label}: ${extra} bytes beyond the header length ignored`);
}

function decodeGroup(
  header: WfdbHeader,
  layout: GroupLayout,
  nSamples: number,
  signals: Float32Array[],
  checksums: ChecksumReport[],
): void {
  const simple =
    !layout.format.difference && layout.specs.every((s) => s.samplesPerFrame === 1 && s.skew === 0);
  const decoded = simple ? decodeSimpleGroup(layout, nSamples) : decodeGeneralGroup(layout, nSamples);
  layout.specs.forEach((spec, k) => {
    const index = layout.group.indices[k]!;
    const sum = decoded.sums[k]!;
    const expected = header.nSamples === null ? null : spec.checksum;
    signals[index] = decoded.signals[k]!;
    checksums[index] = {
      lead: spec.description,
      expected,
      actual: sum,
      ok: checksumAgrees(expected, sum),
    };
  });
}

/** Frames decoded per chunk: a multiple of every block (2 samples for 212, 3 for 310/311), small enough for cache. */
const CHUNK_FRAMES = 6 * 1024;

/**
 * The common case (every dataset here): one sample per frame, no skew, amplitudes. Decodes a chunk of frames into
 * a small reused buffer, then converts each signal from it with a stride: no whole-file intermediate array.
 */
function decodeSimpleGroup(
  layout: GroupLayout,
  nSamples: number,
): { signals: Float32Array[]; sums: number[] } {
  const { format, frameSize, specs, positions } = layout;
  const signals = specs.map(() => new Float32Array(nSamples));
  const sums = specs.map(() => 0);
  const buffer = new Int32Array(Math.min(nSamples, CHUNK_FRAMES) * frameSize);
  for (let start = 0; start < nSamples; start += CHUNK_FRAMES) {
    const frames = Math.min(CHUNK_FRAMES, nSamples - start);
    const raw = buffer.subarray(0, frames * frameSize);
    format.decode(layout.bytes.subarray(format.bytesFor(start * frameSize)), raw);
    specs.forEach((spec, k) => {
      sums[k] = stridedPhysical(
        raw,
        frameSize,
        positions[k]!,
        spec,
        format.invalid,
        signals[k]!,
        start,
        sums[k]!,
      );
    });
  }
  return { signals, sums: sums.map(toSigned16) };
}

/** Stored samples decoded per chunk of the general path (about; whole frames, at least BLOCK_FRAMES of them). */
const GENERAL_CHUNK_SAMPLES = 48 * 1024;

/** Chunks start at a multiple of 6 frames: a block boundary of every packed format, whatever the frame size. */
const BLOCK_FRAMES = 6;

/**
 * Samples per frame > 1, skew or first differences. Decodes chunks of frames into a small reused buffer and
 * converts each signal's frames from it (running difference sums and checksums carried across chunks), so no
 * array of the whole file is made: the output is the only allocation that grows with the record.
 */
function decodeGeneralGroup(
  layout: GroupLayout,
  nSamples: number,
): { signals: Float32Array[]; sums: number[] } {
  const { format, frameSize, specs } = layout;
  const frames = framesDecoded(layout, nSamples);
  const chunkFrames =
    Math.max(1, Math.floor(GENERAL_CHUNK_SAMPLES / frameSize / BLOCK_FRAMES)) * BLOCK_FRAMES;
  // Output samples whose skewed frame is past the decoded ones stay NaN.
  const signals = specs.map((spec) => new Float32Array(nSamples).fill(NaN, Math.max(0, frames - spec.skew)));
  const states = specs.map((spec) => ({ value: spec.initialValue, sum: 0 }));
  const buffer = new Int32Array(Math.min(frames, chunkFrames) * frameSize);
  for (let start = 0; start < frames; start += chunkFrames) {
    const raw = buffer.subarray(0, Math.min(chunkFrames, frames - start) * frameSize);
    format.decode(layout.bytes.subarray(format.bytesFor(start * frameSize)), raw);
    specs.forEach((spec, k) => framesPhysical(raw, layout, k, start, nSamples, states[k]!, signals[k]!));
  }
  return { signals, sums: states.map((state) => toSigned16(state.sum)) };
}

/**
 * Signal `k` of a chunk of frames starting at frame `first`: differences integrated into `state.value`, samples of
 * frames < nSamples added to the 16-bit `state.sum` (skewed samples count, as header(5) says), then each frame's
 * valid samples averaged into output sample frame - skew: (mean - baseline) / gain, NaN if none is valid.
 */
function framesPhysical(
  raw: Int32Array,
  layout: GroupLayout,
  k: number,
  first: number,
  nSamples: number,
  state: { value: number; sum: number },
  out: Float32Array,
): void {
  const { frameSize, format } = layout;
  const { adcGain: gain, baseline, samplesPerFrame: perFrame, skew } = layout.specs[k]!;
  const invalid = format.invalid;
  const frames = raw.length / frameSize;
  for (let f = 0; f < frames; f++) {
    const frame = first + f;
    const base = f * frameSize + layout.positions[k]!;
    let total = 0;
    let valid = 0;
    for (let j = 0; j < perFrame; j++) {
      let d = raw[base + j]!;
      if (format.difference) d = state.value = (state.value + d) | 0;
      if (frame < nSamples) state.sum = (state.sum + d) & 0xffff;
      if (d !== invalid) {
        total += d;
        valid++;
      }
    }
    const n = frame - skew;
    if (n >= 0 && n < nSamples) out[n] = valid === 0 ? NaN : (total / valid - baseline) / gain;
  }
}

/**
 * Converts the signal at `position` of each frame of a decoded chunk into `out` from `outStart`, adding its
 * samples to the running 16-bit `sum`, which it returns. Invalid samples are rare: the main loop only notes that
 * one occurred (a branch-free store runs ~2x faster, measured) and a second pass writes their NaNs.
 */
function stridedPhysical(
  raw: Int32Array,
  frameSize: number,
  position: number,
  spec: WfdbSignalSpec,
  invalid: number | null,
  out: Float32Array,
  outStart: number,
  sum: number,
): number {
  const { baseline, adcGain: gain } = spec;
  const marker = invalid ?? NaN; // NaN never equals a sample: formats without an invalid code
  let sawInvalid = 0;
  for (let i = position, n = outStart; i < raw.length; i += frameSize, n++) {
    const d = raw[i]!;
    sum = (sum + d) & 0xffff;
    sawInvalid |= d === marker ? 1 : 0;
    out[n] = (d - baseline) / gain;
  }
  if (sawInvalid) {
    for (let i = position, n = outStart; i < raw.length; i += frameSize, n++)
      if (raw[i] === marker) out[n] = NaN;
  }
  return sum;
}

/**
 * null when there is nothing to compare: no checksum, or a checksum field of 0 the data does not match (writers
 * that do not compute checksums put 0 there, e.g. CinC 2017); an actual sum of 0 still agrees with it.
 */
function checksumAgrees(expected: number | null, sum: number): boolean | null {
  if (expected === null) return null;
  if ((expected & 0xffff) === (sum & 0xffff)) return true;
  return expected === 0 ? null : false;
}
