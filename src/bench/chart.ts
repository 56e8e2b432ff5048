/** A small SVG bar chart of model timings (warm medians), for bench/results/models.svg. */
import type { BenchRow } from './run-models.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function timingsSvg(rows: BenchRow[], title: string): string {
  const barH = 22;
  const gap = 8;
  const left = 260;
  const width = 820;
  const top = 48;
  const max = Math.max(...rows.map((r) => r.medianMs), 1);
  const scale = (width - left - 90) / max;
  const h = top + rows.length * (barH + gap) + 20;
  const bars = rows
    .map((r, i) => {
      const y = top + i * (barH + gap);
      const w = Math.max(1, r.medianMs * scale);
      const color = { image: '#4C78A8', 'image (plan)': '#9ECAE9', text: '#F58518', 'text (plan)': '#FFBF79' }[r.tower];
      const label = `${r.model.replace('mobileclip_', '').toUpperCase()} ${r.tower}, batch ${r.batch}, ${r.dtype}`;
      return [
        `<text x="${left - 8}" y="${y + barH * 0.7}" text-anchor="end">${esc(label)}</text>`,
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`,
        `<text x="${left + w + 6}" y="${y + barH * 0.7}">${r.medianMs.toFixed(0)} ms</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="12" y="24" font-size="15" font-weight="bold">${esc(title)}</text>
${bars}
</svg>
`;
}
