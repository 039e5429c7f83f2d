/**
 * A window of a record, as wfdb-python's `rdrecord(sampfrom, sampto, channels)`: samples [from, to) of the chosen
 * channels. WFDB records read only the bytes of the window (wfdb/window.ts); other formats are read whole and then
 * cut here.
 */
import { ConfigError } from '../errors.js';
import type { EcgRecord } from './record.js';

export interface WindowOptions {
  /** First sample (frame) to read, 0-based, at the record's rate (default 0). */
  from?: number;
  /** One past the last sample (default: the end of the record). */
  to?: number;
  /** Channels to keep, by index or lead name, in the order given (default: all). */
  channels?: ReadonlyArray<number | string>;
}

/** A resolved window: sample bounds within the record and channel indices. */
export interface SampleWindow {
  from: number;
  to: number;
  channels: number[];
}

export function wantsWindow(options: WindowOptions): boolean {
  return options.from !== undefined || options.to !== undefined || options.channels !== undefined;
}

/** Checks the options against a record of `length` samples and these leads; ConfigError names the source. */
export function resolveWindow(
  options: WindowOptions,
  length: number,
  leads: readonly string[],
  source: string,
): SampleWindow {
  const from = options.from ?? 0;
  const to = options.to ?? length;
  const bad = (what: string) => new ConfigError(`${source}: ${what}`);
  if (!Number.isInteger(from) || from < 0) throw bad(`from: expected a sample index >= 0, got ${from}`);
  if (!Number.isInteger(to) || to <= from)
    throw bad(`to: expected a sample index after from (${from}), got ${to}`);
  if (to > length) throw bad(`to: ${to} is past the record's ${length} samples`);
  const channels = (options.channels ?? leads.map((_, i) => i)).map((channel) => {
    const index = typeof channel === 'number' ? channel : leads.indexOf(channel);
    if (!Number.isInteger(index) || index < 0 || index >= leads.length)
      throw bad(
        `channels: ${JSON.stringify(channel)} is not one of ${leads.join(', ')} (or 0..${leads.length - 1})`,
      );
    return index;
  });
  if (channels.length === 0) throw bad('channels: empty (give at least one channel)');
  return { from, to, channels };
}

/** The window of a record already in memory (signals copied, per-lead metadata arrays kept as they are). */
export function cutRecord(record: EcgRecord, options: WindowOptions, source: string): EcgRecord {
  const length = record.signals[0]?.length ?? 0;
  const window = resolveWindow(options, length, record.leads, source);
  return pickWindow(record, window, 0);
}

/**
 * Channels of `window` from a record whose sample 0 is record sample `offset` (a record decoded from an aligned
 * byte range starts a little before the window).
 */
export function pickWindow(record: EcgRecord, window: SampleWindow, offset: number): EcgRecord {
  const start = window.from - offset;
  const end = window.to - offset;
  return {
    ...record,
    leads: window.channels.map((c) => record.leads[c]!),
    units: window.channels.map((c) => record.units[c]!),
    signals: window.channels.map((c) => record.signals[c]!.slice(start, end)),
    metadata: { ...record.metadata, window: { from: window.from, to: window.to, channels: window.channels } },
  };
}
