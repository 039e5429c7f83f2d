/**
 * A tiny synthetic dataset implementing the Dataset interface, held in memory: the class sets the frequency of a
 * noisy sinusoid (learnable from any window), records have varied lengths (some shorter than a 2 s window), and
 * every entry has an age and a sex for fusion models.
 */
import type { Dataset, DatasetEntry, LabelKind, SplitName } from '../../src/datasets/types.js';
import type { EcgRecord } from '../../src/io/record.js';
import { seededRandom } from '../../src/train/random.js';

export interface SyntheticOptions {
  records?: number;
  leads?: number;
  fs?: number;
  labelKind?: LabelKind;
  /** Fraction of records in the validation split (0: none). */
  validation?: number;
  seed?: number;
  /**
   * What the class sets: the sinusoid's frequency (default), or its amplitude (0.3, 1, 3 mV, noise scaled with it) at
   * one frequency, so that z-scored records of different classes are alike and only voltages tell them apart.
   */
  classBy?: 'frequency' | 'amplitude';
}

const AMPLITUDES = [0.3, 1, 3]; // mV, one per class (classBy: 'amplitude')

const FREQUENCIES = [1, 3, 6]; // Hz, one per class

export function syntheticDataset(options: SyntheticOptions = {}): Dataset {
  const {
    records = 48,
    leads = 1,
    fs = 50,
    labelKind = 'single-label',
    validation = 0.25,
    seed = 7,
    classBy = 'frequency',
  } = options;
  const random = seededRandom(seed);
  const entries: DatasetEntry[] = [];
  const signals = new Map<string, Float32Array[]>();
  for (let r = 0; r < records; r++) {
    const id = `S${String(r).padStart(3, '0')}`;
    const label = r % FREQUENCIES.length;
    const labels = labelKind === 'single-label' ? [label] : multiLabels(label, r);
    const length = Math.round(fs * (1.5 + 3 * random.next())); // 1.5-4.5 s
    const phase = 2 * Math.PI * random.next();
    signals.set(
      id,
      Array.from({ length: leads }, (_, lead) =>
        Float32Array.from({ length }, (_, i) => {
          if (classBy === 'amplitude') {
            const amplitude = AMPLITUDES[label]!;
            return amplitude * (Math.sin((2 * Math.PI * 3 * i) / fs + phase + lead) + 0.3 * random.normal());
          }
          const wave = labels.reduce(
            (sum, c) => sum + Math.sin((2 * Math.PI * FREQUENCIES[c]! * i) / fs + phase + lead),
            0,
          );
          return wave + 0.3 * random.normal();
        }),
      ),
    );
    const split: SplitName = r < Math.round(records * validation) ? 'val' : 'train';
    entries.push({
      id,
      patientId: null,
      fold: null,
      split,
      labels,
      patient: { age: 30 + 50 * random.next(), sex: r % 2 === 0 ? 'male' : 'female', ageCapped: false },
    });
  }
  return {
    name: 'synthetic',
    root: '<memory>',
    classes: ['slow', 'mid', 'fast'],
    labelKind,
    entries,
    skipped: [],
    split: { method: 'synthetic', parameters: { seed, validation } },
    sourceFiles: () => [],
    load: async (id) => {
      const entry = entries.find((e) => e.id === id)!;
      const record: EcgRecord = {
        name: id,
        fs,
        leads: Array.from({ length: leads }, (_, l) => `L${l + 1}`),
        units: Array.from({ length: leads }, () => 'mV'),
        signals: signals.get(id)!,
        age: entry.patient.age,
        sex: entry.patient.sex,
        metadata: {},
      };
      return { entry, record };
    },
  };
}

/** Multi-label variant: the record's own class, plus the next one on every fourth record. */
function multiLabels(label: number, r: number): number[] {
  return r % 4 === 0 ? [label, (label + 1) % FREQUENCIES.length].sort() : [label];
}
