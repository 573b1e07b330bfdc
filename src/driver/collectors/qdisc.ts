// Qdisc statistics collector: one long-lived `tc [-n NS] -s -j -batch -` answering `qdisc show` per sample;
// per device (root qdisc) it emits `qdisc_drop` with the new drops, and `backlog` with the queued bytes when the
// backlog rises over a threshold (re-armed once it falls back under it). A watched device that vanished fails the sample.

import type { SmartRecord } from '../../protocol/record.ts';
import { nowMicros } from '../../sdk/clock.ts';
import { BatchQueries } from '../../linux/batch-process.ts';
import { devName, netnsName } from '../../linux/names.ts';
import { SampleLoop, newCollectorCounters, type Collector, type EmitEvents, type ReportError } from './collector.ts';

export interface QdiscCollectorOptions {
  /** Network namespace to read (tc -n); absent = the host. */
  netns?: string;
  /** Devices to watch; absent = every device with a root qdisc. */
  devices?: string[];
  /** Sampling period, >= 1 ms (default 10). */
  periodMs?: number;
  /** Backlog in bytes over which a `backlog` event is emitted (default 0 = off). */
  backlogThresholdBytes?: number;
  /** The locale of a device's events (default `NS/dev`, or `dev` on the host). */
  localeOf?: (device: string) => string;
}

export class QdiscCollector implements Collector {
  readonly name: string;
  readonly counters = newCollectorCounters();
  private readonly tc: BatchQueries;
  private readonly loop: SampleLoop;
  private readonly devices: Set<string> | null;
  private readonly lastDrops = new Map<string, number>();
  private readonly overThreshold = new Set<string>();
  private readonly threshold: number;
  private readonly localeOf: (dev: string) => string;
  private emit: EmitEvents = () => undefined;

  constructor(opts: QdiscCollectorOptions = {}) {
    const ns = opts.netns === undefined ? undefined : netnsName('netns', opts.netns);
    this.devices = opts.devices ? new Set(opts.devices.map((d, i) => devName(`devices[${i}]`, d))) : null;
    this.threshold = opts.backlogThresholdBytes ?? 0;
    this.localeOf = opts.localeOf ?? ((dev) => (ns ? `${ns}/${dev}` : dev));
    this.name = `qdisc@${ns ?? 'host'}`;
    this.tc = new BatchQueries('tc', ns ?? null);
    this.loop = new SampleLoop(opts.periodMs ?? 10, () => this.sample(), this.counters);
  }

  async start(emit: EmitEvents, onError?: ReportError): Promise<void> {
    this.emit = emit;
    if (onError) this.loop.onError = onError;
    await this.sample();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.tc.close();
  }

  /** Takes one sample now (the loop calls this every period). */
  async sample(): Promise<void> {
    const out = await this.tc.query('qdisc show');
    if (!Array.isArray(out)) throw new Error('tc qdisc show: expected a JSON array');
    const time = nowMicros();
    const events: SmartRecord[] = [];
    const seen = new Set<string>();
    for (const q of out as Record<string, unknown>[]) {
      const dev = q.dev;
      if (q.root !== true || typeof dev !== 'string' || (this.devices && !this.devices.has(dev))) continue;
      seen.add(dev);
      const s = { drops: num(q.drops), backlog: num(q.backlog) };
      const before = this.lastDrops.get(dev);
      this.lastDrops.set(dev, s.drops);
      const locale = this.localeOf(dev);
      // A replaced qdisc restarts its counters: only a rise counts.
      if (before !== undefined && s.drops > before) events.push({ time, locale, kind: 'event', name: 'qdisc_drop', value: s.drops - before });
      if (this.threshold > 0) {
        if (s.backlog > this.threshold && !this.overThreshold.has(dev)) {
          this.overThreshold.add(dev);
          events.push({ time, locale, kind: 'event', name: 'backlog', value: s.backlog });
        } else if (s.backlog <= this.threshold) this.overThreshold.delete(dev);
      }
    }
    if (events.length) {
      this.counters.events += events.length;
      this.emit(events);
    }
    const missing = this.devices ? [...this.devices].filter((d) => !seen.has(d)) : [];
    if (missing.length) throw new Error(`no root qdisc on ${missing.join(', ')} (${this.name})`);
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
