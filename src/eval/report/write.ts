/** Writes a report (Node): `<base>.html`, `<base>.md` with its `<base>-<figure>.svg` files, `<base>.json`. */
import { basename } from 'node:path';
import { writeFileAtomic } from '../../util/atomic.js';
import { renderHtml, reportFigures } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { Report } from './model.js';

export interface WrittenReport {
  html: string;
  markdown: string;
  json: string | null;
  figures: string[];
}

/** Every file is written atomically; `result` (the JSON result object) is optional. */
export async function writeReport(base: string, report: Report, result?: unknown): Promise<WrittenReport> {
  const figures = await reportFigures(report);
  const figureFiles: Record<string, string> = {};
  const written: string[] = [];
  for (const [name, svg] of Object.entries(figures)) {
    const path = `${base}-${name}.svg`;
    writeFileAtomic(path, svg);
    figureFiles[name] = basename(path);
    written.push(path);
  }
  writeFileAtomic(`${base}.html`, await renderHtml(report, figures));
  writeFileAtomic(`${base}.md`, renderMarkdown(report, figureFiles));
  if (result !== undefined) writeFileAtomic(`${base}.json`, JSON.stringify(result, null, 2) + '\n');
  return {
    html: `${base}.html`,
    markdown: `${base}.md`,
    json: result === undefined ? null : `${base}.json`,
    figures: written,
  };
}
