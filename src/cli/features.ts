import type { Command } from 'commander';
import { positiveNumber } from './parsers.js';
import { readRecord } from '../io/index.js';
import { rhythmFeatures, type RhythmFeatures } from '../signal/rhythm.js';

/** What `features --json` prints; the snake_case keys are part of the CLI's interface (units in the names). */
export interface FeaturesJson {
  record: string;
  fs: number;
  lead: string | null;
  duration_s: number;
  flags: string[];
  r_peaks: number[];
  beat_count: number;
  heart_rate_bpm: number | null;
  rr_mean_ms: number | null;
  sdnn_ms: number | null;
  rmssd_ms: number | null;
  pnn50: number | null;
  rr_cv: number | null;
  rr_sample_entropy: number | null;
  p_wave_ratio: number | null;
  pr_mean_ms: number | null;
  qrs_mean_ms: number | null;
  beats: {
    rr_previous_ms: Array<number | null>;
    rr_next_ms: Array<number | null>;
    rr_local_mean_ms: Array<number | null>;
    p_wave: boolean[];
    pr_ms: Array<number | null>;
    qrs_ms: number[];
  };
}

export function featuresJson(name: string, leads: string[], f: RhythmFeatures): FeaturesJson {
  return {
    record: name,
    fs: f.fs,
    lead: leads[f.lead] ?? null,
    duration_s: f.durationS,
    flags: f.flags,
    r_peaks: f.beats.rPeaks,
    beat_count: f.beatCount,
    heart_rate_bpm: f.heartRateBpm,
    rr_mean_ms: f.rrMeanMs,
    sdnn_ms: f.sdnnMs,
    rmssd_ms: f.rmssdMs,
    pnn50: f.pnn50,
    rr_cv: f.rrCv,
    rr_sample_entropy: f.rrSampleEntropy,
    p_wave_ratio: f.pWaveRatio,
    pr_mean_ms: f.prMeanMs,
    qrs_mean_ms: f.qrsMeanMs,
    beats: {
      rr_previous_ms: f.beats.rrPreviousMs,
      rr_next_ms: f.beats.rrNextMs,
      rr_local_mean_ms: f.beats.rrLocalMeanMs,
      p_wave: f.beats.pWave,
      pr_ms: f.beats.prMs,
      qrs_ms: f.beats.qrsMs,
    },
  };
}

const fixed = (value: number | null, digits = 1) => (value === null ? '-' : value.toFixed(digits));

function summary(json: FeaturesJson): string {
  return [
    `record:       ${json.record} (${json.duration_s.toFixed(1)} s, ${json.fs} Hz, delineated lead ${json.lead ?? '-'})`,
    `flags:        ${json.flags.join(', ') || 'none'}`,
    `beats:        ${json.beat_count}, heart rate ${fixed(json.heart_rate_bpm)} bpm`,
    `RR:           mean ${fixed(json.rr_mean_ms)} ms, SDNN ${fixed(json.sdnn_ms)} ms, RMSSD ${fixed(json.rmssd_ms)} ms`,
    `irregularity: pNN50 ${fixed(json.pnn50, 3)}, CV ${fixed(json.rr_cv, 3)}, SampEn ${fixed(json.rr_sample_entropy, 3)}`,
    `waves:        P present ${fixed(json.p_wave_ratio, 2)}, PR ${fixed(json.pr_mean_ms)} ms, QRS ${fixed(json.qrs_mean_ms)} ms`,
  ].join('\n');
}

export function registerFeatures(program: Command): void {
  program
    .command('features')
    .description(
      'Detect R peaks and delineate beats; print rhythm features (RR, HRV, irregularity, P/PR/QRS)',
    )
    .argument('<record>', 'record path (.hea, .dat, .mat, .csv)')
    .option('--json', 'print JSON (r_peaks, features, per-beat arrays)')
    .option(
      '--fs <hz>',
      'sampling rate for files that do not carry one (CSV without time column, bare MAT)',
      positiveNumber,
    )
    .action(async (input: string, options: { json?: boolean; fs?: number }) => {
      const record = await readRecord(input, options.fs === undefined ? {} : { fs: options.fs });
      const json = featuresJson(record.name, record.leads, rhythmFeatures(record));
      process.stdout.write(`${options.json ? JSON.stringify(json) : summary(json)}\n`);
    });
}
