// The random processes that produce a scenario's records, slice by slice of simulated time: load-modulated
// and ON-OFF bursty point processes (noise tags, background events) and causal applications whose tags
// spawn companion tags and, with a value-dependent probability and a log-normal lag, the caused events.

import type { Rng } from './rng.ts';

/** Receives generated records: time in µs from the scenario start, series index, value. */
export type Emit = (time: number, series: number, value: number) => void;

export interface Source {
  /** Generates the records driven by occurrences in [t0, t1) µs. Spawned records may lie up to `maxBack`
   *  before t0 or after t1. Successive calls must cover consecutive slices. */
  generate(t0: number, t1: number, emit: Emit): void;
  /** Mean records per second (load cycle averaged out). */
  expectedRate(): number;
  /** Largest amount of time a spawned record may precede its driving occurrence, µs. */
  readonly maxBack: number;
}

/** The shared load cycle: rate multiplier 1 + amplitude * sin(2π t / period + phase), mean 1. */
export class LoadCycle {
  constructor(
    readonly amplitude: number,
    /** Set to a whole fraction of the scenario duration once that is known, so the mean multiplier is 1. */
    public periodUs: number,
    readonly phase: number,
  ) {
    if (!(amplitude >= 0 && amplitude < 1)) throw new Error(`load cycle amplitude: must be in [0, 1), got ${amplitude}`);
    if (!(periodUs > 0)) throw new Error(`load cycle period: must be positive, got ${periodUs}`);
  }
  at(t: number): number {
    return 1 + this.amplitude * Math.sin((2 * Math.PI * t) / this.periodUs + this.phase);
  }
  get peak(): number {
    return 1 + this.amplitude;
  }
}

/** Integer values drawn uniformly from [lo, hi]. */
export interface ValueRange {
  lo: number;
  hi: number;
}

/** Two-state Markov-modulated (ON-OFF) rate; `onShare` of the time in ON. Rates per second. */
export interface Burstiness {
  offRate: number;
  onRate: number;
  meanOnUs: number;
  meanOffUs: number;
}

/** A shared ON-OFF timeline, e.g. a rack's congestion episodes, that several processes follow at once. */
export class Episodes {
  /** Switch instants, ascending; the first one turns the episode ON. */
  private readonly switches: number[] = [];

  constructor(
    private readonly rng: Rng,
    readonly meanOnUs: number,
    readonly meanOffUs: number,
  ) {}

  get onShare(): number {
    return this.meanOnUs / (this.meanOnUs + this.meanOffUs);
  }

  /** State at t and the next switch after t. */
  at(t: number): { on: boolean; until: number } {
    const sw = this.switches;
    while (sw.length === 0 || sw[sw.length - 1]! <= t) {
      const last = sw.length === 0 ? 0 : sw[sw.length - 1]!;
      sw.push(last + this.rng.exp(1 / (sw.length % 2 === 0 ? this.meanOffUs : this.meanOnUs)));
    }
    let lo = 0;
    let hi = sw.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sw[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return { on: lo % 2 === 1, until: sw[lo]! };
  }
}

/** A load-modulated Poisson or ON-OFF process (noise tags, background events). It is ON during its own
 *  bursts and during the shared episodes it follows, if any. */
export class PointProcess implements Source {
  readonly maxBack = 0;
  private next: number;
  private on = false;
  private switchAt: number;

  constructor(
    private readonly rng: Rng,
    private readonly series: number,
    private readonly rate: Burstiness,
    private readonly cycle: LoadCycle | null,
    private readonly values: ValueRange,
    private readonly episodes: Episodes | null = null,
  ) {
    this.switchAt = rng.exp(1 / rate.meanOffUs);
    this.next = this.candidate(0);
  }

  static poisson(rng: Rng, series: number, ratePerS: number, cycle: LoadCycle | null, values: ValueRange): PointProcess {
    return new PointProcess(rng, series, { offRate: ratePerS, onRate: ratePerS, meanOnUs: 1e12, meanOffUs: 1e12 }, cycle, values);
  }

  expectedRate(): number {
    const { offRate, onRate, meanOnUs, meanOffUs } = this.rate;
    const own = meanOnUs / (meanOnUs + meanOffUs);
    const onShare = 1 - (1 - own) * (1 - (this.episodes?.onShare ?? 0));
    return offRate + (onRate - offRate) * onShare;
  }

  /** Next candidate after t, crossing ON/OFF switches (exponential waits are memoryless). */
  private candidate(t: number): number {
    const peak = this.cycle?.peak ?? 1;
    for (;;) {
      const shared = this.episodes?.at(t);
      const on = this.on || (shared?.on ?? false);
      const boundary = Math.min(this.switchAt, shared?.until ?? Infinity);
      const c = t + this.rng.exp(((on ? this.rate.onRate : this.rate.offRate) * peak) / 1e6);
      if (c < boundary) return c;
      t = boundary;
      if (boundary === this.switchAt) {
        this.on = !this.on;
        this.switchAt = t + this.rng.exp(1 / (this.on ? this.rate.meanOnUs : this.rate.meanOffUs));
      }
    }
  }

  generate(_t0: number, t1: number, emit: Emit): void {
    while (this.next < t1) {
      const t = this.next;
      if (!this.cycle || this.rng.next() * this.cycle.peak < this.cycle.at(t)) {
        emit(Math.floor(t), this.series, this.rng.int(this.values.lo, this.values.hi));
      }
      this.next = this.candidate(t);
    }
  }
}

export interface CausalAppSpec {
  tagSeries: number;
  tagValues: ValueRange;
  /** Either a load-modulated Poisson rate (per second) or a periodic interval with jitter. */
  driver: { kind: 'poisson'; ratePerS: number } | { kind: 'periodic'; periodUs: number; jitter: number };
  /** Series of the caused event, or null when the app causes nothing (the no-relation scenario). */
  eventSeries: number | null;
  /** Prob(event | tag value). */
  probability: (value: number) => number;
  /** Lag = medianUs * exp(sigma * z), z standard normal truncated to [-truncate, truncate]. */
  lag: { medianUs: number; sigma: number; truncate: number };
  /** Event size = max(1, round(sizeSlope * value * exp(0.2 z))). */
  sizeSlope: number;
  companion: { series: number; share: number; shiftUs: { lo: number; hi: number }; values: ValueRange } | null;
}

/** An application's causal tag stream with its companion tags and caused events. */
export class CausalApp implements Source {
  readonly maxBack: number;
  private next: number;

  constructor(
    private readonly rng: Rng,
    private readonly spec: CausalAppSpec,
    private readonly cycle: LoadCycle | null,
  ) {
    this.maxBack = spec.companion ? Math.max(0, -spec.companion.shiftUs.lo) : 0;
    this.next = this.advance(0);
  }

  expectedRate(): number {
    const d = this.spec.driver;
    const tags = d.kind === 'poisson' ? d.ratePerS : 1e6 / d.periodUs;
    const { lo, hi } = this.spec.tagValues;
    let meanP = 0;
    for (let v = lo; v <= hi; v++) meanP += this.spec.probability(v) / (hi - lo + 1);
    return tags * (1 + (this.spec.companion?.share ?? 0) + (this.spec.eventSeries === null ? 0 : meanP));
  }

  private advance(t: number): number {
    const d = this.spec.driver;
    if (d.kind === 'periodic') return t + d.periodUs * Math.max(0.2, 1 + d.jitter * this.rng.normal());
    const peak = this.cycle?.peak ?? 1;
    for (;;) {
      t += this.rng.exp((d.ratePerS * peak) / 1e6);
      if (!this.cycle || this.rng.next() * peak < this.cycle.at(t)) return t;
    }
  }

  generate(_t0: number, t1: number, emit: Emit): void {
    const s = this.spec;
    while (this.next < t1) {
      const t = Math.floor(this.next);
      const value = this.rng.int(s.tagValues.lo, s.tagValues.hi);
      emit(t, s.tagSeries, value);
      const c = s.companion;
      if (c && this.rng.chance(c.share)) {
        emit(Math.max(0, Math.floor(t + this.rng.uniform(c.shiftUs.lo, c.shiftUs.hi))), c.series, this.rng.int(c.values.lo, c.values.hi));
      }
      const caused = this.rng.chance(s.probability(value));
      const lag = s.lag.medianUs * Math.exp(s.lag.sigma * this.rng.truncatedNormal(s.lag.truncate));
      const size = Math.max(1, Math.round(s.sizeSlope * value * Math.exp(0.2 * this.rng.normal())));
      if (caused && s.eventSeries !== null) emit(Math.floor(t + lag), s.eventSeries, size);
      this.next = this.advance(this.next);
    }
  }
}
