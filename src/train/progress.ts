/**
 * Run reporting: JSONL lines appended to `<out>/log.jsonl` (one per step group and per epoch) and, on a terminal,
 * a progress bar on stderr with the loss, the running metric, samples/s and the ETA.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { Presets, SingleBar } from 'cli-progress';

export type LogLine = Record<string, unknown> & { type: 'steps' | 'epoch' | 'run' };

export interface Reporter {
  log(line: LogLine): void;
  startEpoch(epoch: number, steps: number): void;
  step(values: { loss: number; samplesPerSecond: number }): void;
  endEpoch(): void;
}

/** `logPath` null: no log file (ranks other than 0 of a data-parallel run). */
export function createReporter(
  logPath: string | null,
  options: { bar: boolean; onLog?: (line: LogLine) => void },
): Reporter {
  const bar = options.bar
    ? new SingleBar(
        {
          stream: process.stderr,
          format:
            'epoch {epoch} |{bar}| {value}/{total} loss {loss} ({samples} samples/s) ETA {eta_formatted}',
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : null;
  let done = 0;
  return {
    log(line) {
      if (logPath !== null)
        appendFileSync(logPath, `${JSON.stringify({ time: new Date().toISOString(), ...line })}\n`);
      options.onLog?.(line);
    },
    startEpoch(epoch, steps) {
      done = 0;
      bar?.start(steps, 0, { epoch, loss: '-', samples: '-' });
    },
    step({ loss, samplesPerSecond }) {
      done += 1;
      bar?.update(done, { loss: loss.toFixed(4), samples: samplesPerSecond.toFixed(0) });
    },
    endEpoch() {
      bar?.stop();
    },
  };
}

/**
 * On resume, drops the lines of epochs after `completedEpochs` (logged by the killed run before its checkpoint)
 * and a torn last line, so that the resumed log reads as one uninterrupted run.
 */
export function truncateLog(logPath: string, completedEpochs: number): void {
  if (!existsSync(logPath)) return;
  const kept = readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((line) => {
      if (line.trim() === '') return false;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return false; // a line cut by the kill
      }
      const epoch = (parsed as { epoch?: unknown }).epoch;
      return typeof epoch !== 'number' || epoch <= completedEpochs;
    });
  writeFileAtomic(logPath, kept.map((line) => `${line}\n`).join(''));
}
