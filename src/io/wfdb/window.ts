/**
 * Windowed WFDB reads: only the bytes of samples [from, to) of the files holding the chosen channels are read
 * (a `readRange` of each data file), so the last 10 s of a 30-minute record cost ~0.5 % of its bytes.
 *
 * The byte range starts at a frame whose first stored sample is a multiple of 6, so that it falls on a block
 * boundary of every packed format (212 packs 2 samples in 3 bytes, 310/311 pack 3 in 4); the few frames before
 * `from` are decoded and dropped. Checksums cover whole signals and so are not verified for a window.
 *
 * Read whole, then cut: multi-segment records, an unspecified length, and signals with several samples per frame,
 * skew or first differences (format 8), whose samples cannot be located without what precedes them.
 */
import { MissingFileError } from '../../errors.js';
import type { ByteSource } from '../source.js';
import { pickWindow, resolveWindow, type SampleWindow, type WindowOptions } from '../window.js';
import { formatSpec, NULL_FORMAT } from './formats.js';
import type { WfdbHeader, WfdbSignalSpec } from './header.js';
import { wfdbRecord, type WfdbRead } from './record.js';
import type { WfdbSignalOptions } from './signals.js';

/** Stored samples per aligned start: a multiple of every packed format's block (2 and 3 samples). */
const BLOCK_ALIGN = 6;

/** Whether samples [from, to) of every signal can be located by arithmetic on the byte offset. */
export function windowReadable(header: WfdbHeader): boolean {
  return (
    header.nSegments === null &&
    header.nSamples !== null &&
    header.signals.every((s) => s.samplesPerFrame === 1 && s.skew === 0 && !formatSpec(s.format).difference)
  );
}

/**
 * Reads a window of a single-segment record through `source.sibling(file).readRange`; the caller checked
 * windowReadable. Files of unselected channels are not read at all.
 */
export async function readWfdbWindow(
  header: WfdbHeader,
  source: ByteSource,
  options: WindowOptions,
  signalOptions: WfdbSignalOptions = {},
): Promise<WfdbRead> {
  const leads = header.signals.map((s, i) => s.description || `signal ${i}`);
  const window = resolveWindow(options, header.nSamples!, leads, source.name);
  const kept = keptSignals(header, window);
  const first = window.from - (window.from % BLOCK_ALIGN);
  const files = new Map<string, Uint8Array>();
  for (const [fileName, frameSize, spec] of fileLayouts(kept)) {
    const format = formatSpec(spec.format);
    const start = spec.byteOffset + format.bytesFor(first * frameSize);
    const end = spec.byteOffset + format.bytesFor(window.to * frameSize);
    const file = source.sibling(fileName);
    files.set(
      fileName,
      file.readRange ? await file.readRange(start, end) : (await file.read()).slice(start, end),
    );
  }
  const windowHeader: WfdbHeader = {
    ...header,
    nSamples: window.to - first,
    signals: kept.map(({ spec }) => ({ ...spec, byteOffset: 0, checksum: null })),
  };
  const read = wfdbRecord(
    windowHeader,
    (name) => {
      const bytes = files.get(name);
      if (!bytes) throw new MissingFileError(name);
      return bytes;
    },
    source.name,
    { ...signalOptions, fileLabel: (name) => source.sibling(name).name },
  );
  const local: SampleWindow = {
    ...window,
    channels: window.channels.map((c) => kept.findIndex((k) => k.index === c)),
  };
  const record = pickWindow(read.record, local, first);
  record.metadata.window = { from: window.from, to: window.to, channels: window.channels };
  record.metadata.checksums = 'not verified for a window (they cover whole signals)';
  return { record, header, checksums: [], notes: read.notes };
}

/** Every signal of each file that holds a chosen channel (a file's frames interleave all of its signals). */
function keptSignals(
  header: WfdbHeader,
  window: SampleWindow,
): Array<{ index: number; spec: WfdbSignalSpec }> {
  const files = new Set(window.channels.map((c) => header.signals[c]!.fileName));
  return header.signals.flatMap((spec, index) => (files.has(spec.fileName) ? [{ index, spec }] : []));
}

/** Per data file: its name, samples per frame (one per signal here) and its first signal's spec. */
function fileLayouts(kept: ReadonlyArray<{ spec: WfdbSignalSpec }>): Array<[string, number, WfdbSignalSpec]> {
  const byFile = new Map<string, [string, number, WfdbSignalSpec]>();
  for (const { spec } of kept) {
    if (spec.format === NULL_FORMAT) continue; // null signals store nothing
    const entry = byFile.get(spec.fileName);
    if (entry) entry[1] += 1;
    else byFile.set(spec.fileName, [spec.fileName, 1, spec]);
  }
  return [...byFile.values()];
}
