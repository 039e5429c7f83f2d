/**
 * The `predict --report` HTML: one section per record with its ECG drawn on paper (25 mm/s, 10 mm/mV, 1 mm and
 * 5 mm grid; the first REPORT_SECONDS of each lead), the saliency shading over it (where occluding the signal
 * lowers the top class most), every class's probability as a bar with its threshold marked and the passing ones
 * highlighted, the measurements, the quality findings and notices; a legend of class names; failed files listed.
 * One self-contained file: inline SVG and CSS, no scripts.
 */
import type { EcgRecord } from '../io/record.js';
import { cutRecord } from '../io/window.js';
import { legendOf, measurementText } from './predict-output.js';
import { diagnosisLine, type EcgResult, type FileResult } from './result.js';

/** Seconds of each record drawn (a 24 h Holter would make a report no browser opens). */
export const REPORT_SECONDS = 10;
const PX_PER_MM = 3;
const MM_PER_S = 25;
const MM_PER_MV = 10;
const STRIP_MM = 20;
/** Length of the red tick marking a trace clipped at the page edge. */
const CLIP_TICK_MM = 3;

const escape = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/**
 * The part of a record its report section draws (the first REPORT_SECONDS of every lead): a batch report keeps
 * these excerpts, not whole records (a folder of 24 h Holters would otherwise be held in memory at once).
 */
export function reportExcerpt(record: EcgRecord): EcgRecord {
  const length = record.signals[0]?.length ?? 0;
  const samples = Math.ceil(REPORT_SECONDS * record.fs);
  return length <= samples ? record : cutRecord(record, { to: samples }, record.name);
}

/** `records` gives each result's record (by file) for the trace; a record that cannot be given is left undrawn. */
export function predictionReportHtml(
  results: readonly FileResult[],
  records: ReadonlyMap<string, EcgRecord>,
): string {
  const ok = results.filter((r): r is EcgResult => r.ok);
  const failed = results.filter((r) => !r.ok);
  const sections = ok.map((r) => recordSection(r, records.get(r.file) ?? null));
  const legend = legendOf(results)
    .map((l) => `<li><b>${escape(l.label)}</b> ${escape(l.name)}</li>`)
    .join('');
  // Single-label models hold no thresholds: their bars have no mark to explain.
  const thresholds = ok.some((r) => r.classes.some((c) => c.threshold !== null));
  const failures = failed.map((r) => `<li>${escape(r.file)}: ${escape(r.ok ? '' : r.error)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EfficientECG predictions</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
section{border-top:1px solid #ccc;padding:12px 0}
h2{font-size:16px;margin:4px 0}.not{color:#b00020;font-weight:bold}.ok{color:#0a5}
.bars{display:grid;grid-template-columns:auto 320px auto;gap:2px 10px;align-items:center;margin:8px 0}
.track{position:relative;height:14px;background:#eee}.fill{height:100%;background:#8ab}
.passed .fill{background:#d9534f}.passed{font-weight:bold}
.thr{position:absolute;top:-2px;bottom:-2px;width:2px;background:#222}
.note{color:#555}.warn{color:#a60}
svg{display:block;margin:6px 0;max-width:100%;height:auto}
</style></head><body>
<h1>EfficientECG predictions: ${ok.length} record(s)${failed.length ? `, ${failed.length} failed` : ''}</h1>
<p class="note">Research software, not a medical device: not for clinical decisions. Bars: probability;${thresholds ? " black mark: the class's threshold (chosen on validation);" : ''}
red and bold: the class passed. Trace: ${MM_PER_S} mm/s, ${MM_PER_MV} mm/mV,
first ${REPORT_SECONDS} s; orange shading: where hiding the signal lowers the top class most (occlusion saliency).</p>
${sections.join('\n')}
${legend ? `<h2>Legend</h2><ul>${legend}</ul>` : ''}
${failures ? `<h2>Files that could not be predicted</h2><ul>${failures}</ul>` : ''}
</body></html>
`;
}

function recordSection(result: EcgResult, record: EcgRecord | null): string {
  const status = result.quality.diagnosable
    ? `<span class="ok">Diagnosis:</span> ${escape(diagnosisLine(result))}`
    : `<span class="not">NOT DIAGNOSABLE</span>: ${escape(result.quality.summary.replace(/^not diagnosable: /, ''))}`;
  const warnings =
    result.quality.diagnosable && result.quality.flags.length > 0
      ? `<p class="warn">Quality: ${escape(result.quality.flags.map((f) => f.message).join('; '))}</p>`
      : '';
  const measured = measurementText(result);
  return `<section>
<h2>${escape(result.record.name)} <span class="note">${escape(result.file)} · ${escape(result.model)} · ${result.record.leads.length} lead(s), ${result.record.fs} Hz, ${result.record.seconds} s</span></h2>
${result.untrained ? '<p class="not">UNTRAINED development model: random weights, NOT a diagnosis</p>' : ''}
<p>${status}</p>${warnings}
${bars(result)}
${measured ? `<p>${escape(measured)} <span class="note">(${escape(result.measurements!.method)})</span></p>` : ''}
${record ? paper(record, result) : ''}
${result.notices.map((n) => `<p class="note">${escape(n)}</p>`).join('')}
</section>`;
}

function bars(result: EcgResult): string {
  if (result.classes.length === 0) return '';
  const rows = result.classes.map((c) => {
    const threshold =
      c.threshold === null ? '' : `<span class="thr" style="left:${(c.threshold * 100).toFixed(1)}%"></span>`;
    const against = c.threshold === null ? '' : ` (threshold ${(c.threshold * 100).toFixed(1)} %)`;
    return `<span class="${c.passed ? 'passed' : ''}">${escape(c.label)} <span class="note">${escape(c.name)}</span></span>
<span class="track ${c.passed ? 'passed' : ''}"><span class="fill" style="display:block;width:${(c.probability * 100).toFixed(1)}%"></span>${threshold}</span>
<span class="${c.passed ? 'passed' : ''}">${(c.probability * 100).toFixed(1)} %${against}</span>`;
  });
  return `<div class="bars">${rows.join('\n')}</div>`;
}

/**
 * The leads on ECG paper as one SVG, saliency shaded behind them, and a note naming the leads clipped at the page
 * edge. As on paper ECGs a lead may overrun into its neighbours' bands (a 12-lead QRS often passes 1 mV); only a
 * sample beyond the SVG's own top or bottom is clipped, and each clipped stretch is marked with a red tick.
 */
export function paper(record: EcgRecord, result: Pick<EcgResult, 'saliency'>): string {
  const seconds = Math.min(REPORT_SECONDS, (record.signals[0]?.length ?? 0) / record.fs);
  const widthMm = seconds * MM_PER_S;
  const heightMm = STRIP_MM * record.leads.length;
  const mm = (v: number) => (v * PX_PER_MM).toFixed(1);
  const grid: string[] = [];
  for (let x = 0; x <= widthMm; x++)
    grid.push(
      `<line x1="${mm(x)}" y1="0" x2="${mm(x)}" y2="${mm(heightMm)}" class="${x % 5 ? 'g1' : 'g5'}"/>`,
    );
  for (let y = 0; y <= heightMm; y++)
    grid.push(
      `<line x1="0" y1="${mm(y)}" x2="${mm(widthMm)}" y2="${mm(y)}" class="${y % 5 ? 'g1' : 'g5'}"/>`,
    );
  const shading = saliencyRects(result.saliency, seconds, heightMm, mm);
  const traces = record.signals.map((signal, lead) => trace(signal, record.fs, seconds, lead, heightMm, mm));
  const labels = record.leads.map(
    (name, lead) => `<text x="4" y="${mm(lead * STRIP_MM + 5)}">${escape(name)}</text>`,
  );
  const clipped = record.leads.filter((_, lead) => traces[lead]!.clipped);
  const note =
    clipped.length === 0
      ? ''
      : `\n<p class="warn">${clipped.map((name) => `lead ${escape(name)}`).join(', ')}: clipped at the page edge (red ticks)</p>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${mm(widthMm)}" height="${mm(heightMm)}" viewBox="0 0 ${mm(widthMm)} ${mm(heightMm)}">
<style>.g1{stroke:#f6c9c9;stroke-width:.5}.g5{stroke:#e89a9a;stroke-width:1}.tr{fill:none;stroke:#111;stroke-width:1.1}
.clip{stroke:#d00;stroke-width:2}.sal{fill:#ff9800}text{font:11px sans-serif;fill:#444}</style>
<rect width="100%" height="100%" fill="#fff"/>${shading}${grid.join('')}${traces.map((t) => t.svg).join('')}${labels.join('')}</svg>${note}`;
}

function saliencyRects(
  saliency: EcgResult['saliency'],
  seconds: number,
  heightMm: number,
  mm: (v: number) => string,
): string {
  if (!saliency) return '';
  const top = Math.max(...saliency.importance, 0);
  if (!(top > 0)) return '';
  return saliency.times
    .map((t, i) => {
      const value = saliency.importance[i]! / top;
      if (t >= seconds || value <= 0.05) return '';
      const width = Math.min(saliency.segmentSeconds, seconds - t) * MM_PER_S;
      return `<rect class="sal" x="${mm(t * MM_PER_S)}" y="0" width="${mm(width)}" height="${mm(heightMm)}" opacity="${(0.45 * value).toFixed(2)}"/>`;
    })
    .join('');
}

/**
 * One lead as a polyline: about one point per 0.4 mm (enough for a QRS at this scale), centred on its median in its
 * band, free to overrun into the neighbouring bands. A point beyond the SVG's top or bottom (`heightMm`) is drawn
 * at that edge, and the start of each such stretch gets a red tick into the page.
 */
function trace(
  signal: Float32Array,
  fs: number,
  seconds: number,
  lead: number,
  heightMm: number,
  mm: (v: number) => string,
): { svg: string; clipped: boolean } {
  const end = Math.min(signal.length, Math.round(seconds * fs));
  const step = Math.max(1, Math.floor(fs / (MM_PER_S / 0.4)));
  const finite = Array.from(signal.subarray(0, end))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const centre = finite[finite.length >> 1] ?? 0;
  const middle = lead * STRIP_MM + STRIP_MM / 2;
  const points: string[] = [];
  const ticks: string[] = [];
  let edge: number | null = null; // the edge the previous point was clipped at
  for (let i = 0; i < end; i += step) {
    const v = signal[i]!;
    if (!Number.isFinite(v)) continue;
    const wanted = middle - (v - centre) * MM_PER_MV;
    const y = Math.max(0, Math.min(heightMm, wanted));
    const x = mm((i / fs) * MM_PER_S);
    const clippedAt = y === wanted ? null : y;
    if (clippedAt !== null && clippedAt !== edge) {
      const inward = clippedAt === 0 ? CLIP_TICK_MM : heightMm - CLIP_TICK_MM;
      ticks.push(`<line class="clip" x1="${x}" y1="${mm(clippedAt)}" x2="${x}" y2="${mm(inward)}"/>`);
    }
    edge = clippedAt;
    points.push(`${x},${mm(y)}`);
  }
  return {
    svg: `<polyline class="tr" points="${points.join(' ')}"/>${ticks.join('')}`,
    clipped: ticks.length > 0,
  };
}
