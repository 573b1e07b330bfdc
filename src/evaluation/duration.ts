// Parses human durations for CLI options ("250us", "10ms", "1.5s", "10m", "2h"; a bare number is seconds)
// into microseconds.

const UNITS: Record<string, number> = { us: 1, µs: 1, ms: 1e3, s: 1e6, m: 60e6, min: 60e6, h: 3600e6 };

export function parseDurationUs(option: string, raw: string): number {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zµ]*)\s*$/i.exec(raw);
  const unit = m ? (m[2] === '' ? 's' : m[2]!.toLowerCase()) : '';
  const scale = UNITS[unit];
  if (!m || scale === undefined) throw new Error(`--${option}: not a duration (e.g. 10ms, 1.5s, 10m): ${JSON.stringify(raw)}`);
  const us = Number(m[1]) * scale;
  if (!Number.isFinite(us) || us <= 0) throw new Error(`--${option}: must be positive: ${JSON.stringify(raw)}`);
  return Math.round(us);
}

/** Short human form of a µs duration: 250us, 10ms, 1.5s. */
export function formatDuration(us: number): string {
  if (us < 1e3) return `${round3(us)}us`;
  if (us < 1e6) return `${round3(us / 1e3)}ms`;
  return `${round3(us / 1e6)}s`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
