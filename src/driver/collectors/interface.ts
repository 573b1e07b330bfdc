// Interface counters collector: one long-lived `ip [-n NS] -s -j -batch -` answering `link show` per sample;
// per device it emits `if_drop` (new rx+tx drops) and `if_error` (new rx+tx errors). A watched device that
// vanished fails the sample.

import type { SmartRecord } from '../../protocol/record.ts';
import { nowMicros } from '../../sdk/clock.ts';
import { BatchQueries } from '../../linux/batch-process.ts';
import { devName, netnsName } from '../../linux/names.ts';
import { SampleLoop, newCollectorCounters, type Collector, type EmitEvents, type ReportError } from './collector.ts';

export interface InterfaceCollectorOptions {
  netns?: string;
  /** Devices to watch; absent = all. */
  devices?: string[];
  /** Sampling period, >= 1 ms (default 100). */
  periodMs?: number;
  localeOf?: (device: string) => string;
}

export class InterfaceCollector implements Collector {
  readonly name: string;
  readonly counters = newCollectorCounters();
  private readonly ip: BatchQueries;
  private readonly loop: SampleLoop;
  private readonly devices: Set<string> | null;
  private readonly last = new Map<string, { drops: number; errors: number }>();
  private readonly localeOf: (dev: string) => string;
  private emit: EmitEvents = () => undefined;

  constructor(opts: InterfaceCollectorOptions = {}) {
    const ns = opts.netns === undefined ? undefined : netnsName('netns', opts.netns);
    this.devices = opts.devices ? new Set(opts.devices.map((d, i) => devName(`devices[${i}]`, d))) : null;
    this.localeOf = opts.localeOf ?? ((dev) => (ns ? `${ns}/${dev}` : dev));
    this.name = `interface@${ns ?? 'host'}`;
    this.ip = new BatchQueries('ip', ns ?? null);
    this.loop = new SampleLoop(opts.periodMs ?? 100, () => this.sample(), this.counters);
  }

  async start(emit: EmitEvents, onError?: ReportError): Promise<void> {
    this.emit = emit;
    if (onError) this.loop.onError = onError;
    await this.sample();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.ip.close();
  }

  async sample(): Promise<void> {
    const out = await this.ip.query('link show');
    if (!Array.isArray(out)) throw new Error('ip link show: expected a JSON array');
    const time = nowMicros();
    const events: SmartRecord[] = [];
    const seen = new Set<string>();
    for (const l of out as Record<string, unknown>[]) {
      const dev = l.ifname;
      const stats = l.stats64 as { rx?: Record<string, unknown>; tx?: Record<string, unknown> } | undefined;
      if (typeof dev !== 'string' || !stats || (this.devices && !this.devices.has(dev))) continue;
      seen.add(dev);
      const now = { drops: num(stats.rx?.dropped) + num(stats.tx?.dropped), errors: num(stats.rx?.errors) + num(stats.tx?.errors) };
      const before = this.last.get(dev);
      this.last.set(dev, now);
      if (!before) continue;
      const locale = this.localeOf(dev);
      if (now.drops > before.drops) events.push({ time, locale, kind: 'event', name: 'if_drop', value: now.drops - before.drops });
      if (now.errors > before.errors) events.push({ time, locale, kind: 'event', name: 'if_error', value: now.errors - before.errors });
    }
    if (events.length) {
      this.counters.events += events.length;
      this.emit(events);
    }
    const missing = this.devices ? [...this.devices].filter((d) => !seen.has(d)) : [];
    if (missing.length) throw new Error(`no interface ${missing.join(', ')} (${this.name})`);
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
