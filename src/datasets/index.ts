/** Dataset adapters, one table: name -> how to open it. */
import { openCinc2017 } from './cinc2017.js';
import { openCinc2021 } from './cinc2021.js';
import { openCode15 } from './code15.js';
import { openCpsc2018 } from './cpsc2018.js';
import { openCustom } from './custom.js';
import { FOLDER_SOURCE, openRecordFolder } from './folder.js';
import { openLudb } from './ludb/index.js';
import { openMitdb } from './mitdb/index.js';
import { openPtbxl } from './ptbxl/index.js';
import type { Dataset } from './types.js';

export const DATASET_NAMES = [
  'ptbxl',
  'cpsc2018',
  'cinc2017',
  'mitdb',
  'ludb',
  'cinc2021',
  'code15',
  'custom',
] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const DATASETS: Record<
  DatasetName,
  { open: (root: string) => Promise<Dataset>; description: string }
> = {
  ptbxl: {
    open: (root) => openPtbxl(root),
    description: 'PTB-XL, superdiagnostic labels, 100 Hz, folds 1-8/9/10',
  },
  cpsc2018: {
    open: (root) => openCpsc2018(root),
    description: 'CPSC 2018, 9 classes (original .mat or CinC 2020 WFDB layout)',
  },
  cinc2017: {
    open: (root) => openCinc2017(root),
    description:
      'CinC 2017, N/A/O/~ (REFERENCE-v3.csv in DIR or one level up, else REFERENCE.csv), seeded val split',
  },
  mitdb: {
    open: (root) => openMitdb(root),
    description: 'MIT-BIH Arrhythmia, AAMI beats, de Chazal DS1/DS2',
  },
  ludb: { open: (root) => openLudb(root), description: 'LUDB, rhythm classes and P/QRS/T delineation' },
  cinc2021: {
    open: (root) => openCinc2021(root),
    description: 'CinC 2020/2021 WFDB folders, scored SNOMED-CT classes',
  },
  code15: {
    open: (root) => openCode15(root),
    description: 'CODE-15%: exams.csv + exams_part*.hdf5, 6 abnormalities, 400 Hz, patient-grouped folds',
  },
  custom: {
    open: (root) => openCustom(root),
    description: 'your own records: labels.csv (+ optional classes.txt), docs/own-data.md',
  },
};

/** What `pretrain --source` reads: any adapter's folder, or `folder`, every record under a folder (folder.ts). */
export const PRETRAIN_SOURCE_NAMES = [...DATASET_NAMES, FOLDER_SOURCE] as const;
export type PretrainSourceName = (typeof PRETRAIN_SOURCE_NAMES)[number];

export * from './types.js';
export * from './summary.js';
export {
  openPtbxl,
  openCpsc2018,
  openCinc2017,
  openMitdb,
  openLudb,
  openCinc2021,
  openCode15,
  openCustom,
  openRecordFolder,
};
