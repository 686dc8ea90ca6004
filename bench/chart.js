// Writes the inbound ratios of one bench run as an SVG bar chart (no dependencies): one bar per
// variant against bare (1.0), with the Passport ceiling and express-oauth2-jwt-bearer as lines.
const LABELS = {
  bare: 'bare route (no auth)',
  'passport-ceiling': 'Passport ceiling (accepts anything)',
  strategy: 's2s Passport strategy',
  middleware: 's2s.middleware()',
  auth0: 'express-oauth2-jwt-bearer',
  'raw-crypto': 'raw node:crypto verify (cold floor)',
  'middleware-cold': 's2s.middleware(), a new token each request',
};

const escapeXml = (text) =>
  String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** `ratios`: variant -> median ratio to bare. Returns the SVG text. */
function inboundChart(ratios, caption) {
  const variants = Object.keys(LABELS).filter((v) => ratios[v] !== undefined);
  const left = 290;
  const width = 760;
  const barArea = width - left - 60;
  const rowHeight = 30;
  const top = 40;
  const height = top + variants.length * rowHeight + 50;
  const x = (ratio) => left + Math.min(ratio, 1.1) * (barArea / 1.1);
  const ours = (v) => v === 'strategy' || v === 'middleware' || v === 'middleware-cold';
  const rows = variants.map((v, i) => {
    const y = top + i * rowHeight;
    const fill = ours(v) ? '#2f6fdf' : '#9aa3ad';
    return [
      `<text x="${left - 10}" y="${y + 19}" text-anchor="end" font-size="13">${escapeXml(LABELS[v])}</text>`,
      `<rect x="${left}" y="${y + 6}" width="${(x(ratios[v]) - left).toFixed(1)}" height="18" fill="${fill}"/>`,
      `<text x="${(x(ratios[v]) + 6).toFixed(1)}" y="${y + 19}" font-size="12">${ratios[v].toFixed(2)}</text>`,
    ].join('');
  });
  const line = (ratio, label, colour) =>
    ratio === undefined
      ? ''
      : `<line x1="${x(ratio).toFixed(1)}" x2="${x(ratio).toFixed(1)}" y1="${top}" y2="${height - 40}" stroke="${colour}" stroke-dasharray="4 3"/>` +
        `<text x="${x(ratio).toFixed(1)}" y="${height - 26}" text-anchor="middle" font-size="11" fill="${colour}">${escapeXml(label)}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="14" font-weight="bold">${escapeXml(caption)}</text>`,
    ...rows,
    line(ratios['passport-ceiling'], 'Passport ceiling', '#b35900'),
    line(ratios.auth0, 'express-oauth2-jwt-bearer', '#7a3db8'),
    `<text x="${left}" y="${height - 8}" font-size="11" fill="#555">requests/s relative to the bare route (median of the rounds); blue: s2s-oauth</text>`,
    '</svg>',
    '',
  ].join('\n');
}

module.exports = { inboundChart };
