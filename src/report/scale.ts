// Linear and logarithmic axis scales for the SVG charts: data value -> pixel, plus readable tick values.

export type ScaleKind = 'linear' | 'log';

export interface Scale {
  kind: ScaleKind;
  domain: readonly [number, number];
  range: readonly [number, number];
  /** Pixel position of a data value (log scales clamp values at or below zero to the domain minimum). */
  at(v: number): number;
  ticks(count: number): number[];
}

export function makeScale(kind: ScaleKind, domain: readonly [number, number], range: readonly [number, number]): Scale {
  return kind === 'log' ? logScale(domain, range) : linearScale(domain, range);
}

export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  let [d0, d1] = domain;
  if (!(d1 > d0)) [d0, d1] = d0 === 0 ? [0, 1] : [d0 - Math.abs(d0) * 0.5, d0 + Math.abs(d0) * 0.5];
  const [r0, r1] = range;
  const k = (r1 - r0) / (d1 - d0);
  return {
    kind: 'linear',
    domain: [d0, d1],
    range,
    at: (v) => r0 + (Math.min(Math.max(v, d0), d1) - d0) * k,
    ticks: (count) => linearTicks(d0, d1, count),
  };
}

export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  let [d0, d1] = domain;
  if (!(d0 > 0)) throw new RangeError(`log scale needs a positive domain minimum, got ${d0}`);
  if (!(d1 > d0)) [d0, d1] = [d0 / 10, d0 * 10];
  const [r0, r1] = range;
  const l0 = Math.log10(d0);
  const k = (r1 - r0) / (Math.log10(d1) - l0);
  return {
    kind: 'log',
    domain: [d0, d1],
    range,
    at: (v) => r0 + (Math.log10(Math.min(Math.max(v, d0), d1)) - l0) * k,
    ticks: (count) => logTicks(d0, d1, count),
  };
}

/** Round tick values (1, 2, 5 times a power of ten) covering [lo, hi]. */
export function linearTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0) || count < 1) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Powers of ten inside [lo, hi]; adds 2x and 5x steps when the range spans fewer than two decades. */
export function logTicks(lo: number, hi: number, count: number): number[] {
  const first = Math.ceil(Math.log10(lo) - 1e-9);
  const last = Math.floor(Math.log10(hi) + 1e-9);
  const decades: number[] = [];
  for (let e = first; e <= last; e++) decades.push(10 ** e);
  if (decades.length > count) {
    const every = Math.ceil(decades.length / count);
    return decades.filter((_, i) => i % every === 0);
  }
  if (decades.length >= 2) return decades;
  const out: number[] = [];
  for (let e = first - 1; e <= last; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(12)));
    }
  }
  return out.length > 0 ? out : [lo, hi];
}
