/**
 * Multi-segment WFDB records (header(5)), as MIMIC waveforms use them. Pure: the master header and a function
 * returning any file's bytes by name (segment headers `<segment>.hea` and their data files) in, one EcgRecord out.
 *
 * - The record line reads `name/segments`; each segment line `segment samples`. A segment named `~` is a gap.
 * - Variable layout: the first segment has 0 samples and holds no data; its signal lines (file `~`, format 0)
 *   name the record's signals. Without one (fixed layout) the first segment with data names them.
 * - Segments are concatenated in order; each segment signal goes to the layout signal of the same name (its own
 *   gain and baseline apply). A signal a segment lacks, and every signal during a gap, is NaN.
 * - Errors: a segment at another sampling rate, a segment whose header disagrees with the master's sample count,
 *   segments that do not add up to the record length, a nested multi-segment record (FormatError naming the
 *   segment); a missing segment header or data file (MissingFileError naming the segment).
 */
import { FormatError, MissingFileError } from '../../errors.js';
import type { EcgRecord } from '../record.js';
import { parseWfdbHeader, type WfdbHeader, type WfdbSignalSpec } from './header.js';
import { checkSamples, readLimits } from '../limits.js';
import { decodeWfdbSignals, type ChecksumReport, type WfdbSignalOptions } from './signals.js';

/** A segment of the master header, with its header once read (null for a gap). */
interface Segment {
  name: string;
  index: number;
  nSamples: number;
  /** First sample of the segment in the record. */
  start: number;
  header: WfdbHeader | null;
}

export interface MultiSegmentRead {
  record: EcgRecord;
  checksums: ChecksumReport[];
  notes: string[];
}

export const GAP_SEGMENT = '~';

/** `<segment>.hea` for every segment that has a header (all but gaps). */
export function segmentHeaderNames(header: WfdbHeader): string[] {
  return header.segments.filter((s) => s.recordName !== GAP_SEGMENT).map((s) => `${s.recordName}.hea`);
}

/** Reads a multi-segment record; `source` names the master header in errors. */
export function readMultiSegment(
  header: WfdbHeader,
  fileBytes: (fileName: string) => Uint8Array,
  source: string,
  options: WfdbSignalOptions = {},
): MultiSegmentRead {
  const label = options.fileLabel ?? ((name: string) => name);
  const segments = readSegmentHeaders(header, fileBytes, source, label, options);
  const layout = layoutSignals(header, segments, source);
  const total = segments.reduce((n, s) => n + s.nSamples, 0);
  if (header.nSamples !== null && header.nSamples !== total)
    throw new FormatError(
      source,
      `record line gives ${header.nSamples} samples but its segments add up to ${total}`,
    );
  checkSamples(source, total, layout.length, readLimits(options.limits));
  const signals = layout.map(() => new Float32Array(total).fill(NaN));
  const checksums: ChecksumReport[] = [];
  const notes: string[] = [];
  for (const segment of segments) {
    if (segment.header === null || segment.nSamples === 0) continue;
    const decoded = decodeWfdbSignals(
      segment.header,
      segmentFiles(segment, header, fileBytes, label),
      label(`${segment.name}.hea`),
      options,
    );
    const slots = mapSignals(segment.header.signals, layout, (problem) =>
      notes.push(`segment ${segment.name}: ${problem}`),
    );
    slots.forEach((slot, j) => {
      if (slot !== null) signals[slot]!.set(decoded.signals[j]!, segment.start);
    });
    checksums.push(...decoded.checksums.map((c) => ({ ...c, lead: `${segment.name}:${c.lead}` })));
    notes.push(...decoded.notes);
  }
  return {
    record: multiSegmentRecord(header, segments, layout, signals, checksums, notes),
    checksums,
    notes,
  };
}

function readSegmentHeaders(
  header: WfdbHeader,
  fileBytes: (fileName: string) => Uint8Array,
  source: string,
  label: (name: string) => string,
  options: WfdbSignalOptions,
): Segment[] {
  if (header.segments.length === 0) throw new FormatError(source, 'multi-segment record with no segments');
  // Segment lengths are claims too: their sum bounds the record before any segment header is read.
  const declared = header.segments.reduce((n, s) => n + s.nSamples, 0);
  checkSamples(source, declared, Math.max(1, header.nSignals), readLimits(options.limits));
  let start = 0;
  return header.segments.map((spec, index) => {
    const segment: Segment = { name: spec.recordName, index, nSamples: spec.nSamples, start, header: null };
    start += spec.nSamples;
    if (spec.recordName === GAP_SEGMENT) return segment;
    const files = segmentFiles(segment, header, fileBytes, label);
    const name = label(`${spec.recordName}.hea`);
    const text = new TextDecoder('latin1').decode(files(`${spec.recordName}.hea`));
    const parsed = parseWfdbHeader(text, name, readLimits(options.limits));
    checkSegment(parsed, segment, header, name);
    // A segment header may leave its length unspecified: the master's count is the one that holds.
    segment.header = parsed.nSamples === null ? { ...parsed, nSamples: spec.nSamples } : parsed;
    return segment;
  });
}

function checkSegment(parsed: WfdbHeader, segment: Segment, master: WfdbHeader, name: string): void {
  const which = `segment ${segment.index + 1} (${segment.name}) of multi-segment record ${master.recordName}`;
  if (parsed.nSegments !== null)
    throw new FormatError(name, `${which} is itself a multi-segment record (WFDB does not nest them)`);
  if (parsed.fs !== master.fs)
    throw new FormatError(name, `${which} is sampled at ${parsed.fs} Hz, the record at ${master.fs} Hz`);
  if (parsed.nSamples !== null && parsed.nSamples !== segment.nSamples)
    throw new FormatError(
      name,
      `${which}: its header gives ${parsed.nSamples} samples, the master header ${segment.nSamples}`,
    );
}

/** fileBytes for one segment: a missing file is reported with the segment it belongs to. */
function segmentFiles(
  segment: Segment,
  master: WfdbHeader,
  fileBytes: (fileName: string) => Uint8Array,
  label: (name: string) => string,
): (fileName: string) => Uint8Array {
  return (fileName) => {
    try {
      return fileBytes(fileName);
    } catch (error) {
      if (!(error instanceof MissingFileError)) throw error;
      throw new MissingFileError(
        label(fileName),
        `file of segment ${segment.index + 1} (${segment.name}) of multi-segment record ${master.recordName} not found`,
      );
    }
  };
}

/** The record's signals: the layout segment's (variable layout) or the first data segment's (fixed layout). */
function layoutSignals(header: WfdbHeader, segments: Segment[], source: string): WfdbSignalSpec[] {
  const first = segments[0]!;
  const isLayout = first.header !== null && first.nSamples === 0;
  const from = isLayout ? first : segments.find((s) => s.header !== null && s.nSamples > 0);
  const signals = from?.header?.signals ?? [];
  if (from !== undefined && signals.length !== header.nSignals)
    throw new FormatError(
      source,
      `record line declares ${header.nSignals} signals but ${isLayout ? 'the layout' : 'the first'} segment ${from.name} has ${signals.length}`,
    );
  return signals;
}

const signalName = (spec: WfdbSignalSpec, index: number) => spec.description || `signal ${index}`;

/** Layout slot of each segment signal, by name (repeated names fill successive slots); null when absent. */
function mapSignals(
  segmentSignals: WfdbSignalSpec[],
  layout: WfdbSignalSpec[],
  note: (problem: string) => void,
): Array<number | null> {
  const used = new Set<number>();
  return segmentSignals.map((spec, j) => {
    const name = signalName(spec, j);
    const slot = layout.findIndex((l, i) => !used.has(i) && signalName(l, i) === name);
    if (slot < 0) {
      note(`signal "${name}" is not in the record's layout, ignored`);
      return null;
    }
    used.add(slot);
    return slot;
  });
}

function multiSegmentRecord(
  header: WfdbHeader,
  segments: Segment[],
  layout: WfdbSignalSpec[],
  signals: Float32Array[],
  checksums: ChecksumReport[],
  notes: string[],
): EcgRecord {
  const dataSegments = segments.filter((s) => s.nSamples > 0 || s.header === null);
  return {
    name: header.recordName,
    fs: header.fs,
    leads: layout.map(signalName),
    units: layout.map((s) => s.units),
    signals,
    age: header.patient.age,
    sex: header.patient.sex,
    metadata: {
      source: 'wfdb',
      formats: [...new Set(dataSegments.flatMap((s) => s.header?.signals.map((spec) => spec.format) ?? []))],
      baseTime: header.baseTime,
      baseDate: header.baseDate,
      startTime: header.startTime,
      comments: header.comments,
      commentFields: header.commentFields,
      checksumsOk: checksums.every((c) => c.ok !== false),
      checksums,
      notes,
      segments: dataSegments.map((s) => ({ name: s.name, start: s.start, nSamples: s.nSamples })),
    },
  };
}
