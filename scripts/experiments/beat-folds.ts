/**
 * Writes the record lists of the DS1 beat CV's 11 folds ({ fold: [records] }), the folds `efficientecg cv --dataset
 * mitdb --folds 11` trains, so that analyses (beat-features-lr.py --folds) need no finished CV run:
 *   npx tsx scripts/experiments/beat-folds.ts MITDB_DIR OUT.json
 */
import { writeFileSync } from 'node:fs';
import { openMitdb } from '../../src/datasets/mitdb/index.js';
import { cvFoldAssignment } from '../../src/train/cv-folds.js';
const [root, out] = process.argv.slice(2);
const dataset = await openMitdb(root!);
const assignment = cvFoldAssignment('mitdb', dataset.entries, 11);
const folds: Record<number, string[]> = {};
for (const [id, fold] of assignment) (folds[fold] ??= []).push(id);
writeFileSync(out!, JSON.stringify(folds));
console.log(JSON.stringify(folds));
