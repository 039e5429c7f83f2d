/**
 * How often a V beat's local template is itself mostly V beats (issue 13 analysis; nothing of it ships). For each DS1
 * record, from the reference annotations only: the members of each block's local template (src/signal/beat-context.ts
 * `localTemplates`: the non-premature beats within LOCAL_TEMPLATE.halfSpanSeconds) under three rules for "not
 * premature", and the V and N beats whose template is at least half V beats:
 *   current: previous interval >= 0.85 of the median of the 10 before it (the shipped rule);
 *   slow:    that, and >= 0.85 of the last minute's 90th-percentile interval (rrPreviousSlow);
 *   record:  that, and >= 0.85 of the record's median interval.
 *
 *   npx tsx scripts/experiments/beats-template-members.ts MITDB_DIR
 */
import { join } from 'node:path';
import { readAnnotations } from '../../src/io/index.js';
import { AAMI_CLASS_OF_SYMBOL } from '../../src/datasets/mitdb/aami.js';
import {
  LOCAL_TEMPLATE,
  RHYTHM_CONTEXT,
  rhythmContext,
  slowRhythmContext,
} from '../../src/signal/beat-context.js';

const [root] = process.argv.slice(2);
if (!root) throw new Error('usage: beats-template-members.ts MITDB_DIR');
const DS1 = '101 106 108 109 112 114 115 116 118 119 122 124 201 203 205 207 208 209 215 220 223 230'.split(
  ' ',
);
const RULES = ['current', 'slow', 'record'] as const;
type Rule = (typeof RULES)[number];

interface Count {
  vUnderV: number;
  v: number;
  nUnderV: number;
  fallbackBlocks: number;
}

/** The rule's "on time" test for every beat of a record. */
function onTimeTests(times: readonly number[]): Record<Rule, (b: number) => boolean> {
  const rhythm = rhythmContext(times);
  const slow = slowRhythmContext(times);
  const rr = times.slice(1).map((t, i) => t - times[i]!);
  const recordRr = [...rr].sort((a, b) => a - b)[Math.floor(rr.length / 2)]!;
  const local = (b: number) => rhythm[b * RHYTHM_CONTEXT.length]! >= LOCAL_TEMPLATE.onTimeRatio;
  return {
    current: local,
    slow: (b) => local(b) && slow[b]! >= LOCAL_TEMPLATE.onTimeRatio,
    record: (b) => local(b) && (rr[b - 1] ?? rr[0]!) / recordRr >= LOCAL_TEMPLATE.onTimeRatio,
  };
}

function countRecord(
  times: readonly number[],
  classes: readonly string[],
  onTime: (b: number) => boolean,
): Count {
  const count: Count = { vUnderV: 0, v: 0, nUnderV: 0, fallbackBlocks: 0 };
  const blockOf = (t: number) => Math.floor((t - times[0]!) / LOCAL_TEMPLATE.blockSeconds);
  const blocks = blockOf(times[times.length - 1]!) + 1;
  for (let block = 0; block < blocks; block++) {
    const centre = times[0]! + (block + 0.5) * LOCAL_TEMPLATE.blockSeconds;
    const span = times.flatMap((t, i) => (Math.abs(t - centre) <= LOCAL_TEMPLATE.halfSpanSeconds ? [i] : []));
    const members = span.filter(onTime);
    const enough = members.length >= LOCAL_TEMPLATE.minBeats;
    if (!enough) count.fallbackBlocks++;
    const rows = enough ? members : span;
    const mostlyV = rows.filter((i) => classes[i] === 'V').length >= rows.length / 2;
    times.forEach((t, i) => {
      if (blockOf(t) !== block) return;
      if (classes[i] === 'V') {
        count.v++;
        if (mostlyV) count.vUnderV++;
      } else if (classes[i] === 'N' && mostlyV) count.nUnderV++;
    });
  }
  return count;
}

const totals = Object.fromEntries(
  RULES.map((rule) => [rule, { vUnderV: 0, v: 0, nUnderV: 0, fallbackBlocks: 0 }]),
) as Record<Rule, Count>;
for (const record of DS1) {
  const beats = (await readAnnotations(join(root, `${record}.atr`))).filter(
    (a) => AAMI_CLASS_OF_SYMBOL[a.symbol] !== undefined,
  );
  const fs = 360; // MIT-BIH
  const times = beats.map((a) => a.sample / fs);
  const classes = beats.map((a) => AAMI_CLASS_OF_SYMBOL[a.symbol]!);
  const tests = onTimeTests(times);
  const row = RULES.map((rule) => {
    const c = countRecord(times, classes, tests[rule]);
    for (const key of Object.keys(c) as Array<keyof Count>) totals[rule][key] += c[key];
    return c;
  });
  if (row.some((c) => c.vUnderV + c.nUnderV > 0))
    process.stdout.write(
      `${record}: ${RULES.map((rule, r) => `${rule} V ${row[r]!.vUnderV}/${row[r]!.v}, N ${row[r]!.nUnderV}`).join(' | ')}\n`,
    );
}
for (const rule of RULES) {
  const t = totals[rule];
  process.stdout.write(
    `${rule}: V beats under a mostly-V template ${t.vUnderV} of ${t.v}; N beats ${t.nUnderV}; blocks falling back to every beat ${t.fallbackBlocks}\n`,
  );
}
