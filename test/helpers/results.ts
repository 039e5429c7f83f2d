/** A successful record result with the given classes, as every face returns it, for output and report tests. */
import { RESULT_VERSION, type ClassScore, type EcgResult } from '../../src/infer/result.js';

export function recordResult(
  classes: ClassScore[],
  record: { file: string; name: string; fs: number; leads: string[]; seconds: number; model: string },
): EcgResult {
  return {
    version: RESULT_VERSION,
    ok: true,
    file: record.file,
    record: {
      name: record.name,
      fs: record.fs,
      leads: record.leads,
      samples: record.fs * record.seconds,
      seconds: record.seconds,
    },
    model: record.model,
    task: 'records',
    untrained: false,
    quality: { diagnosable: true, flags: [], summary: 'ok' },
    labels: classes.filter((c) => c.passed).map((c) => c.label),
    classes,
    noise: null,
    beats: null,
    measurements: null,
    attention: null,
    saliency: null,
    notices: [],
  };
}
