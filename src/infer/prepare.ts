/**
 * From an EcgRecord to what the model reads: the model's leads (matched by name, see LEAD_ALIASES), its sampling
 * rate (resampled with a notice), its band-pass and per-lead z-score (as in training: src/datasets/cache
 * preprocessorFromConfig), NaN gaps bridged for filtering and then set to 0 (the standardised baseline, as the
 * training loader does), and windows cut as validation cuts them (src/train/validate.ts). Pure, browser-safe.
 */
import { ConfigError, SignalError } from '../errors.js';
import type { EcgRecord } from '../io/record.js';
import { bandpass } from '../signal/filters.js';
import { standardize } from '../signal/normalize.js';
import { amplitudeNotice, toMillivolts } from '../signal/units.js';
import { resample } from '../signal/resample.js';
import type { ModelInfo } from './metadata.js';

/**
 * Other names of the same lead (upper-case key -> standard name), for matching a record's leads to a model's by
 * name: MIT-BIH's modified limb lead MLII stands in for II, ML I/III for I/III; D1-D3 and C1-C6 (chest leads) are
 * the European names.
 */
export const LEAD_ALIASES: Readonly<Record<string, string>> = {
  MLII: 'II',
  ML2: 'II',
  MLI: 'I',
  MLIII: 'III',
  D1: 'I',
  D2: 'II',
  D3: 'III',
  C1: 'V1',
  C2: 'V2',
  C3: 'V3',
  C4: 'V4',
  C5: 'V5',
  C6: 'V6',
  AVR: 'aVR',
  AVL: 'aVL',
  AVF: 'aVF',
};

export function canonicalLead(name: string): string {
  const key = name.replace(/\s+/g, '').replace(/^LEAD/i, '').toUpperCase();
  return (LEAD_ALIASES[key] ?? key).toUpperCase();
}

/**
 * The limb leads that follow from I and II (Einthoven: III = II - I; Goldberger: aVR = -(I + II)/2,
 * aVL = I - II/2, aVF = II - I/2), by canonical name: an 8-lead record (I, II, V1-V6) reads as 12 leads.
 */
const DERIVED_LEADS: Readonly<Record<string, (i: number, ii: number) => number>> = {
  III: (i, ii) => ii - i,
  AVR: (i, ii) => -(i + ii) / 2,
  AVL: (i, ii) => i - ii / 2,
  AVF: (i, ii) => ii - i / 2,
};

/** Canonical names of the leads a record has or that can be derived from its I and II. */
export function availableLeads(recordLeads: readonly string[]): Set<string> {
  const names = new Set(recordLeads.map(canonicalLead));
  if (names.has('I') && names.has('II')) for (const lead of Object.keys(DERIVED_LEADS)) names.add(lead);
  return names;
}

/** The record with the limb leads `needed` but missing derived from I and II, and a notice naming them. */
export function withDerivedLeads(
  record: EcgRecord,
  needed: readonly string[],
): { record: EcgRecord; notice: string | null } {
  const have = record.leads.map(canonicalLead);
  const missing = needed.filter(
    (lead) => !have.includes(canonicalLead(lead)) && canonicalLead(lead) in DERIVED_LEADS,
  );
  const [i, ii] = [have.indexOf('I'), have.indexOf('II')];
  if (missing.length === 0 || i < 0 || ii < 0) return { record, notice: null };
  const [leadI, leadII] = [record.signals[i]!, record.signals[ii]!];
  const derived = missing.map((lead) => {
    const rule = DERIVED_LEADS[canonicalLead(lead)]!;
    return Float32Array.from(leadI, (v, k) => rule(v, leadII[k]!));
  });
  return {
    record: {
      ...record,
      leads: [...record.leads, ...missing],
      signals: [...record.signals, ...derived],
      units: [...record.units, ...missing.map(() => record.units[i] ?? 'mV')],
    },
    notice: `leads ${missing.join(', ')} derived from I and II (Einthoven, Goldberger)`,
  };
}

export interface SelectedLeads {
  /** Record lead index for each model lead; ABSENT_LEAD for an optional lead the record lacks (read as zeros). */
  indices: number[];
  notices: string[];
}

/** Index of a model lead the record does not have (an alternatives lead, see `selectLeads`): a zero lead. */
export const ABSENT_LEAD = -1;
/** Separates the alternatives of a model lead: `V1|V2|V5|V4` reads the first of them the record has. */
const ALTERNATIVE = '|';

const isAlternatives = (modelLead: string): boolean => modelLead.includes(ALTERNATIVE);

/** The names a model lead may be read from, in order of preference: `V1|V2` -> [V1, V2]; `II` -> [II]. */
export function modelLeadNames(modelLead: string): string[] {
  return modelLead.split(ALTERNATIVE);
}

/** Record index of the first of a model lead's names (alternatives in order) the record has, or ABSENT_LEAD. */
function leadIndex(canonicalRecord: readonly string[], modelLead: string): number {
  for (const name of modelLeadNames(modelLead)) {
    const index = canonicalRecord.indexOf(canonicalLead(name));
    if (index >= 0) return index;
  }
  return ABSENT_LEAD;
}

/**
 * Record lead index per model lead. Same count: matched by (canonical) name, or in record order with a notice when
 * no name matches (generic names such as ECG1, ECG2); some names matching but not all is a ConfigError, as record
 * order would then feed a named lead as another. More record leads than model leads: used when every model lead
 * has its own record lead by name or alias (a 15-lead PTB record, a 12-lead file with a RESP channel), the others
 * ignored with a notice. A model lead written as alternatives (`V1|V2|V5|V4`, a beat model's second lead) reads the
 * first of them the record has, and a zero lead (ABSENT_LEAD, with a notice) when it has none; the model's other
 * leads are then required by name. Any other mismatch is a ConfigError naming both lead lists.
 */
export function selectLeads(
  recordLeads: readonly string[],
  modelLeads: readonly string[],
  recordName?: string,
): SelectedLeads {
  const canonical = recordLeads.map(canonicalLead);
  const byName = modelLeads.map((lead) => leadIndex(canonical, lead));
  const describe = `record leads [${recordLeads.join(', ')}], model leads [${modelLeads.join(', ')}]`;
  const record = recordName === undefined ? 'record' : `record ${recordName}`;
  if (modelLeads.some(isAlternatives))
    return selectWithAlternatives(recordLeads, modelLeads, byName, describe);
  if (recordLeads.length === modelLeads.length) return selectSameCount(modelLeads, byName, describe);
  if (byName.every((i) => i >= 0) && new Set(byName).size === byName.length)
    return selectByName(recordLeads, modelLeads, byName, describe);
  const missing = modelLeads.filter((_, i) => byName[i] === ABSENT_LEAD);
  throw new LeadCountError(
    `${record} has ${recordLeads.length} lead(s) but the model expects ${modelLeads.length}: ${describe}` +
      (missing.length > 0 ? ` (no lead named ${missing.join(', ')} or an alias of it)` : ''),
    recordLeads.length,
    modelLeads.length,
  );
}

/**
 * A record whose lead count the model cannot read (a ConfigError, named so): with the counts, so that a caller with
 * a way out can say it (`predict` names --lead for a one-lead model).
 */
export class LeadCountError extends ConfigError {
  constructor(
    message: string,
    readonly recordLeads: number,
    readonly modelLeads: number,
  ) {
    super(message);
  }
}

/** Every model lead found by name among more record leads: those, and a notice naming the leads left out. */
function selectByName(
  recordLeads: readonly string[],
  modelLeads: readonly string[],
  byName: number[],
  describe: string,
): SelectedLeads {
  if (modelLeads.length === 1)
    return {
      indices: byName,
      notices: [
        `one-lead model: record lead ${recordLeads[byName[0]!]} used as ${modelLeads[0]} (${describe})`,
      ],
    };
  const ignored = recordLeads.filter((_, i) => !byName.includes(i));
  return {
    indices: byName,
    notices: [
      `record lead(s) ${ignored.join(', ')} ignored: the model reads its leads by name (${describe})`,
    ],
  };
}

function selectSameCount(modelLeads: readonly string[], byName: number[], describe: string): SelectedLeads {
  if (byName.every((i) => i >= 0) && new Set(byName).size === byName.length) {
    const reordered = byName.some((index, i) => index !== i);
    return { indices: byName, notices: reordered ? [`leads reordered by name (${describe})`] : [] };
  }
  if (byName.every((i) => i === ABSENT_LEAD)) {
    return {
      indices: modelLeads.map((_, i) => i),
      notices: [`lead names differ, leads used in record order (${describe})`],
    };
  }
  const missing = modelLeads.filter((_, i) => byName[i] === ABSENT_LEAD);
  throw new ConfigError(
    missing.length > 0
      ? `record lacks model lead(s) ${missing.join(', ')} (by name or alias) while others match by name: ${describe}`
      : `one record lead would stand for two model leads: ${describe}`,
  );
}

function selectWithAlternatives(
  recordLeads: readonly string[],
  modelLeads: readonly string[],
  byName: readonly number[],
  describe: string,
): SelectedLeads {
  const notices: string[] = [];
  modelLeads.forEach((lead, i) => {
    const index = byName[i]!;
    if (index === ABSENT_LEAD && !isAlternatives(lead))
      throw new ConfigError(`record has no lead named ${lead} or an alias of it: ${describe}`);
    if (index === ABSENT_LEAD)
      notices.push(`no lead ${lead.split(ALTERNATIVE).join('/')}: read as a zero lead`);
    else if (isAlternatives(lead)) notices.push(`record lead ${recordLeads[index]} used as ${lead}`);
  });
  const present = byName.filter((index) => index !== ABSENT_LEAD);
  if (new Set(present).size !== present.length)
    throw new ConfigError(`one record lead would stand for two model leads: ${describe}`);
  return { indices: [...byName], notices };
}

export interface PreparedSignal {
  /** Model leads at the model's rate, preprocessed, NaN replaced by 0. */
  signals: Float32Array[];
  /**
   * The same leads with their NaN samples still NaN (the same arrays as `signals` for a lead without any; a lead
   * with no valid sample is all NaN), as training's preprocessing leaves them before its store reads them as 0: the
   * signal training computed the record's own features from (the fusion `rhythm` token, src/train/data.ts), which
   * inference must compute them from too.
   */
  withGaps: Float32Array[];
  fs: number;
  notices: string[];
}

/** Leads, resampling, filters, standardisation and NaN handling of one record for a model. */
export function prepareRecord(
  record: EcgRecord,
  info: Pick<ModelInfo, 'leads' | 'fs' | 'bandpass' | 'standardize'>,
): PreparedSignal {
  const { indices, notices } = selectLeads(record.leads, info.leads, record.name);
  const length = record.signals[0]?.length ?? 0;
  if (length === 0) throw new SignalError(`record ${record.name}: no samples`);
  if (!(record.fs > 0))
    throw new SignalError(`record ${record.name}: sampling rate ${record.fs} Hz is not usable`);
  if (record.fs !== info.fs) notices.push(`resampled from ${record.fs} Hz to the model's ${info.fs} Hz`);
  const allInvalid: string[] = [];
  const leads = indices.map((index): { signal: Float32Array; withGaps: Float32Array } | null => {
    if (index === ABSENT_LEAD) return null;
    const lead = record.signals[index]!;
    const invalid = countInvalid(lead);
    const name = record.leads[index]!;
    if (invalid === lead.length) {
      // Nothing to bridge: a zero lead, as training stores such a lead and as an absent lead is read.
      allInvalid.push(name);
      notices.push(`lead ${name} has no valid sample (all NaN): read as a zero lead`);
      return null;
    }
    if (invalid > 0) {
      notices.push(
        `lead ${name}: ${invalid} NaN sample(s) bridged for filtering, then set to 0 (the baseline) as in training`,
      );
    }
    let x = record.fs === info.fs ? lead : resample(lead, record.fs, info.fs, { nan: 'bridge' });
    if (info.bandpass) x = bandpass(x, info.fs, info.bandpass[0], info.bandpass[1], 2, { nan: 'bridge' });
    x = info.standardize
      ? standardize(x)
      : toMillivolts(x, record.units[index] ?? 'mV', `record ${record.name}, lead ${name}`);
    const signal = x === lead ? Float32Array.from(x, zeroInvalid) : x.map(zeroInvalid);
    return { signal, withGaps: invalid === 0 ? signal : x === lead ? x.slice() : x };
  });
  const signals = leads.map((x) => x?.signal ?? null);
  const present = signals.find((x) => x !== null);
  if (!present && allInvalid.length > 0) {
    const leads = allInvalid.length > 1 ? `leads ${allInvalid.join(', ')} have` : `lead ${allInvalid[0]} has`;
    throw new SignalError(`record ${record.name}: ${leads} no valid sample (all NaN)`);
  }
  if (!present)
    throw new ConfigError(`record ${record.name}: none of the model's leads [${info.leads.join(', ')}]`);
  const implausible = info.standardize ? null : amplitudeNotice(signals, `record ${record.name}`);
  if (implausible) notices.push(implausible);
  return {
    signals: signals.map((x) => x ?? new Float32Array(present.length)),
    withGaps: leads.map((x, l) =>
      x
        ? x.withGaps
        : indices[l] === ABSENT_LEAD
          ? new Float32Array(present.length)
          : new Float32Array(present.length).fill(NaN),
    ),
    fs: info.fs,
    notices,
  };
}

const zeroInvalid = (v: number): number => (Number.isFinite(v) ? v : 0);

function countInvalid(x: Float32Array): number {
  let count = 0;
  for (const v of x) if (!Number.isFinite(v)) count++;
  return count;
}

/** Window starts as validation cuts them (one rule, src/signal/windows.ts). */
export { windowStarts } from '../signal/windows.js';

/**
 * How a record shorter than the model's window fills it (docs/short-records.md measures them against the full
 * record): 'zero-pad' appends zeros (the standardised baseline), 'repeat' tiles the record from its start, 'mirror'
 * tiles it forwards and backwards (no jump at the seams).
 */
export const SHORT_RECORD_STRATEGIES = ['zero-pad', 'repeat', 'mirror'] as const;
export type ShortRecordStrategy = (typeof SHORT_RECORD_STRATEGIES)[number];

/** [windows, leads, window] float32 batch; a record shorter than the window is filled by `shortRecords`. */
export function cutWindows(
  signals: readonly Float32Array[],
  starts: readonly number[],
  window: number,
  shortRecords: ShortRecordStrategy,
): Float32Array {
  const leads = signals.length;
  const out = new Float32Array(starts.length * leads * window);
  starts.forEach((start, w) => {
    signals.forEach((lead, l) => {
      const target = out.subarray((w * leads + l) * window, (w * leads + l + 1) * window);
      if (lead.length >= window) target.set(lead.subarray(start, start + window));
      else fillShort(lead, target, shortRecords);
    });
  });
  return out;
}

function fillShort(lead: Float32Array, target: Float32Array, strategy: ShortRecordStrategy): void {
  const n = lead.length;
  if (strategy === 'zero-pad' || n === 0) {
    target.set(lead);
    return;
  }
  for (let i = 0; i < target.length; i++) {
    const turn = Math.floor(i / n);
    const k = i % n;
    target[i] = lead[strategy === 'mirror' && turn % 2 === 1 ? n - 1 - k : k]!;
  }
}

/** Beat windows are cut as training cuts them (one rule, src/signal/windows.ts). */
export { cutBeatWindows } from '../signal/windows.js';
