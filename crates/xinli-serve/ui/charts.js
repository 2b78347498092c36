// Small SVG charts drawn from plain numbers (the palette follows the HTML report's). Each
// returns markup scaled to its container through the viewBox; clickable marks carry data-*
// attributes the page handles.

export const PALETTE = ['#2563eb', '#059669', '#d97706', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#4b5563', '#65a30d', '#ca8a04'];

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function niceMax(x) {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  const m = x / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function ticks(max, n = 4) {
  return Array.from({ length: n + 1 }, (_, i) => (max * i) / n);
}

const empty = (msg) => `<p class="muted">${esc(msg)}</p>`;

/** Horizontal bars: [{label, value, color, attrs}] (attrs: data-* for a click). */
export function barsH(items, { fmt = String, emptyText = '–', width = 560 } = {}) {
  if (!items.length) return empty(emptyText);
  const row = 26, labelW = 170, valueW = 80, h = items.length * row + 8;
  const max = Math.max(...items.map((d) => d.value || 0)) || 1;
  const barW = width - labelW - valueW;
  const rows = items.map((d, i) => {
    const y = 4 + i * row, w = Math.max(1, ((d.value || 0) / max) * barW);
    return `<g class="${d.attrs ? 'clickable' : ''}" ${d.attrs || ''}>
      <text x="${labelW - 8}" y="${y + 17}" text-anchor="end" class="lbl">${esc(d.label)}</text>
      <rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${row - 8}" rx="3" fill="${d.color || PALETTE[i % PALETTE.length]}"><title>${esc(d.label)}: ${esc(fmt(d.value))}</title></rect>
      <text x="${labelW + w + 6}" y="${y + 17}" class="val">${esc(fmt(d.value))}</text></g>`;
  });
  return `<svg viewBox="0 0 ${width} ${h}" class="chart" role="img">${rows.join('')}</svg>`;
}

/** Vertical columns (a histogram when the labels are bin ranges): series of equal length. */
export function columns(labels, series, { fmt = String, emptyText = '–', width = 560, height = 240, stacked = false } = {}) {
  if (!labels.length) return empty(emptyText);
  const left = 48, bottom = 44, top = 12, plotW = width - left - 8, plotH = height - bottom - top;
  const totals = labels.map((_, i) => series.reduce((s, ser) => s + (ser.values[i] || 0), 0));
  const max = niceMax(stacked ? Math.max(...totals) : Math.max(...series.flatMap((s) => s.values.map((v) => v || 0))));
  const slot = plotW / labels.length, groupW = slot * 0.8;
  const y = (v) => top + plotH - (v / max) * plotH;
  let out = ticks(max).map((tv) => `<line x1="${left}" x2="${width - 8}" y1="${y(tv)}" y2="${y(tv)}" class="grid"/><text x="${left - 6}" y="${y(tv) + 4}" text-anchor="end" class="tick">${esc(fmt(tv))}</text>`).join('');
  labels.forEach((lab, i) => {
    const x0 = left + i * slot + (slot - groupW) / 2;
    let acc = 0;
    series.forEach((s, k) => {
      const v = s.values[i] || 0;
      const color = s.color || PALETTE[k % PALETTE.length];
      if (stacked) {
        out += `<rect x="${x0}" y="${y(acc + v)}" width="${groupW}" height="${Math.max(0, y(acc) - y(acc + v))}" fill="${color}"><title>${esc(lab)} · ${esc(s.name)}: ${esc(fmt(v))}</title></rect>`;
        acc += v;
      } else {
        const w = groupW / series.length;
        out += `<rect x="${x0 + k * w}" y="${y(v)}" width="${Math.max(1, w - 1)}" height="${Math.max(0, top + plotH - y(v))}" fill="${color}"><title>${esc(lab)} · ${esc(s.name)}: ${esc(fmt(v))}</title></rect>`;
      }
    });
    const every = Math.ceil(labels.length / 10);
    if (i % every === 0) out += `<text x="${x0 + groupW / 2}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${esc(lab)}</text>`;
  });
  return `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img">${out}${legend(series, width, height - 12)}</svg>`;
}

function legend(series, width, y) {
  if (series.length < 2) return '';
  return series.map((s, k) => {
    const x = 56 + k * Math.min(150, (width - 60) / series.length);
    return `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${s.color || PALETTE[k % PALETTE.length]}"/><text x="${x + 14}" y="${y}" class="tick">${esc(s.name)}</text>`;
  }).join('');
}

/** Lines over shared x labels; each series may have its own axis scale (`own: true` draws it normalised, with its max noted). */
export function lines(labels, series, { fmt = String, emptyText = '–', width = 560, height = 240, yMax } = {}) {
  if (!labels.length || !series.length) return empty(emptyText);
  const left = 48, bottom = 44, top = 12, plotW = width - left - 12, plotH = height - bottom - top;
  const max = yMax ?? niceMax(Math.max(...series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined))));
  const x = (i) => left + (labels.length === 1 ? plotW / 2 : (i / (labels.length - 1)) * plotW);
  const y = (v) => top + plotH - (v / max) * plotH;
  let out = ticks(max).map((tv) => `<line x1="${left}" x2="${width - 12}" y1="${y(tv)}" y2="${y(tv)}" class="grid"/><text x="${left - 6}" y="${y(tv) + 4}" text-anchor="end" class="tick">${esc(fmt(tv))}</text>`).join('');
  series.forEach((s, k) => {
    const color = s.color || PALETTE[k % PALETTE.length];
    const pts = s.values.map((v, i) => (v === null || v === undefined ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(Boolean);
    out += `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`;
    s.values.forEach((v, i) => {
      if (v !== null && v !== undefined) out += `<circle cx="${x(i)}" cy="${y(v)}" r="2.5" fill="${color}"><title>${esc(labels[i])} · ${esc(s.name)}: ${esc(fmt(v))}</title></circle>`;
    });
  });
  const every = Math.ceil(labels.length / 8);
  labels.forEach((lab, i) => {
    if (i % every === 0) out += `<text x="${x(i)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${esc(lab)}</text>`;
  });
  return `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img">${out}${legend(series, width, height - 12)}</svg>`;
}

/** Points with numeric x and y in [0, xMax] × [0, yMax]; r scales with `weight`. */
export function dots(points, { xLabel = '', yLabel = '', xMax, yMax = 1, fmtX = String, fmtY = String, width = 560, height = 260, emptyText = '–', curve = false } = {}) {
  if (!points.length) return empty(emptyText);
  const left = 48, bottom = 44, top = 12, plotW = width - left - 12, plotH = height - bottom - top;
  const xm = xMax ?? niceMax(Math.max(...points.map((p) => p.x)));
  const wmax = Math.max(...points.map((p) => p.weight || 1));
  const x = (v) => left + (v / xm) * plotW, y = (v) => top + plotH - (v / yMax) * plotH;
  let out = ticks(yMax).map((tv) => `<line x1="${left}" x2="${width - 12}" y1="${y(tv)}" y2="${y(tv)}" class="grid"/><text x="${left - 6}" y="${y(tv) + 4}" text-anchor="end" class="tick">${esc(fmtY(tv))}</text>`).join('');
  out += ticks(xm).map((tv) => `<text x="${x(tv)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${esc(fmtX(tv))}</text>`).join('');
  if (curve) out += `<polyline points="${points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ')}" fill="none" stroke="${PALETTE[0]}" stroke-width="2"/>`;
  if (curve) out += `<line x1="${x(0)}" y1="${y(0)}" x2="${x(xm)}" y2="${y(yMax)}" class="diag"/>`;
  else out += points.map((p) => `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="${(3 + 9 * Math.sqrt((p.weight || 1) / wmax)).toFixed(1)}" fill="${PALETTE[0]}" fill-opacity="0.45"><title>${esc(fmtX(p.x))}, ${esc(fmtY(p.y))}${p.weight ? ` (n=${p.weight})` : ''}</title></circle>`).join('');
  out += `<text x="${left + plotW / 2}" y="${height - 8}" text-anchor="middle" class="axis">${esc(xLabel)}</text>`;
  out += `<text x="12" y="${top + plotH / 2}" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle" class="axis">${esc(yLabel)}</text>`;
  return `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img">${out}</svg>`;
}

/** A grid of cells coloured by value (0..max); cells may carry data-* attributes. */
export function heatmap(rows, cols, values, { fmt = String, cellAttrs, emptyText = '–', width = 560, rowTitle = '', colTitle = '' } = {}) {
  if (!rows.length || !cols.length) return empty(emptyText);
  const left = 90, top = 30, cw = (width - left - 8) / cols.length, ch = Math.max(22, Math.min(40, cw * 0.7));
  const height = top + rows.length * ch + 8;
  const all = values.flat().filter((v) => v !== null && v !== undefined);
  const max = Math.max(...all, 0) || 1;
  let out = cols.map((c, j) => `<text x="${left + j * cw + cw / 2}" y="${top - 8}" text-anchor="middle" class="tick">${esc(c)}</text>`).join('');
  if (colTitle) out += `<text x="${left}" y="10" class="axis">${esc(colTitle)}</text>`;
  if (rowTitle) out += `<text x="4" y="${top - 8}" class="axis">${esc(rowTitle)}</text>`;
  rows.forEach((r, i) => {
    out += `<text x="${left - 6}" y="${top + i * ch + ch / 2 + 4}" text-anchor="end" class="tick">${esc(r)}</text>`;
    cols.forEach((c, j) => {
      const v = values[i] ? values[i][j] : null;
      if (v === null || v === undefined) return;
      const a = 0.08 + 0.92 * (v / max);
      const attrs = cellAttrs ? cellAttrs(i, j) : '';
      out += `<g class="${attrs ? 'clickable' : ''}" ${attrs}><rect x="${left + j * cw + 1}" y="${top + i * ch + 1}" width="${cw - 2}" height="${ch - 2}" rx="2" fill="rgba(37,99,235,${a.toFixed(3)})"><title>${esc(r)} · ${esc(c)}: ${esc(fmt(v))}</title></rect>`;
      if (cw > 34) out += `<text x="${left + j * cw + cw / 2}" y="${top + i * ch + ch / 2 + 4}" text-anchor="middle" class="${a > 0.55 ? 'cell light' : 'cell'}">${esc(fmt(v))}</text>`;
      out += '</g>';
    });
  });
  return `<svg viewBox="0 0 ${width} ${height}" class="chart" role="img">${out}</svg>`;
}
