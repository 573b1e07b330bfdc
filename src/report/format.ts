// Escaping and number/time formatting shared by the HTML report and its SVG charts: every name that reaches
// the page goes through escapeHtml.

/** Escapes text for HTML and SVG element content and quoted attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** A number with about `digits` significant digits; tiny and huge magnitudes in exponent form. */
export function formatNumber(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '∞' : '−∞';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(Math.max(0, digits - 2)).replace('e+', 'e');
  if (Number.isInteger(v) && a < 10 ** digits * 10) return String(v);
  return String(Number(v.toPrecision(digits)));
}

/** A p- or q-value: one that underflowed to 0 in double precision reads as "< 1e-300", not as an exact 0. */
export function formatProbabilityValue(p: number): string {
  return p === 0 ? '< 1e-300' : formatNumber(p);
}

/** A duration given in microseconds, in the largest unit that keeps it >= 1 (µs, ms, s, min). */
export function formatMicros(us: number): string {
  const a = Math.abs(us);
  if (a < 1e3) return `${formatNumber(us)} µs`;
  if (a < 1e6) return `${formatNumber(us / 1e3)} ms`;
  if (a < 60e6) return `${formatNumber(us / 1e6)} s`;
  return `${formatNumber(us / 60e6)} min`;
}

/** A share in [0, 1] as a percentage. */
export function formatPercent(p: number): string {
  return `${formatNumber(p * 100)}%`;
}
