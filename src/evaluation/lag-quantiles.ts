// Quantiles of the truncated log-normal lag the generator draws (median * exp(sigma * z), |z| <= T),
// for the lead times written to truth.json.

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** q-quantile of a standard normal truncated to [-limit, limit], by bisection. */
export function truncatedNormalQuantile(q: number, limit: number): number {
  const lo = normalCdf(-limit);
  const target = lo + q * (normalCdf(limit) - lo);
  let a = -limit;
  let b = limit;
  for (let i = 0; i < 60; i++) {
    const m = (a + b) / 2;
    if (normalCdf(m) < target) a = m;
    else b = m;
  }
  return (a + b) / 2;
}

export function lagQuantile(q: number, lag: { medianUs: number; sigma: number; truncate: number }): number {
  return lag.medianUs * Math.exp(lag.sigma * truncatedNormalQuantile(q, lag.truncate));
}
