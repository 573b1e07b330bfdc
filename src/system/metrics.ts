// Prometheus metrics of one SmartTags process (prom-client): every value is read from the components'
// own counters at scrape time, so the hot paths only increment plain numbers.

import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Returns the current samples of one metric. */
export type SampleSource = () => Sample[];

export class SystemMetrics {
  readonly registry = new Registry();
  /** Sources per metric name: several components may feed one metric under different labels. */
  private readonly sources = new Map<string, SampleSource[]>();

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'smarttags_' });
  }

  /** A monotonically increasing total; the source returns absolute values. */
  counter(name: string, help: string, labelNames: string[], source: SampleSource): void {
    const each = this.add(name, source);
    if (each) new Counter({ name, help, labelNames, registers: [this.registry], collect() { this.reset(); each((s) => this.inc(s.labels, s.value)); } });
  }

  gauge(name: string, help: string, labelNames: string[], source: SampleSource): void {
    const each = this.add(name, source);
    if (each) new Gauge({ name, help, labelNames, registers: [this.registry], collect() { this.reset(); each((s) => this.set(s.labels, s.value)); } });
  }

  /** Adds a source; when the metric is new (to be registered), returns a walk over its sources' current samples. */
  private add(name: string, source: SampleSource): ((f: (s: Sample) => void) => void) | null {
    const existing = this.sources.get(name);
    if (existing) {
      existing.push(source);
      return null;
    }
    const list = [source];
    this.sources.set(name, list);
    return (f) => {
      for (const src of list) for (const s of src()) f(s);
    };
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** Parses Prometheus text exposition into `name{labels}` -> value (for tests and scripts reading /metrics). */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    if (sp < 0) continue;
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/** Sum of every sample of `name` whose labels include all of `labels`. */
export function metricSum(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    const n = brace < 0 ? key : key.slice(0, brace);
    if (n !== name) continue;
    if (Object.entries(labels).every(([k, v]) => key.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}
