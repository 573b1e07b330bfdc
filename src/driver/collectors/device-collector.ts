// What the per-device collectors (qdisc, interface) share: the namespace and watched devices, one long-lived
// `tc`/`ip` `-s -j -batch -` asked one `show` per sample, the sampling loop, event emission, and the check that
// every watched device was seen (a vanished one fails the sample).

import type { SmartRecord } from '../../protocol/record.ts';
import { nowMicros } from '../../sdk/clock.ts';
import { BatchQueries, type Tool } from '../../linux/batch-process.ts';
import { devName, netnsName } from '../../linux/names.ts';
import { SampleLoop, newCollectorCounters, type Collector, type EmitEvents, type ReportError } from './collector.ts';

export interface DeviceCollectorOptions {
  /** Network namespace to read (`-n`); absent = the host. */
  netns?: string;
  /** Devices to watch; absent = every device the `show` lists. */
  devices?: string[];
  /** Sampling period, >= 1 ms. */
  periodMs?: number;
  /** The locale of a device's events (default `NS/dev`, or `dev` on the host). */
  localeOf?: (device: string) => string;
}

/** Adds one event of the device being read. */
export type DeviceEvent = (name: string, value: number) => void;

export abstract class DeviceCollector implements Collector {
  readonly name: string;
  readonly counters = newCollectorCounters();
  private readonly batch: BatchQueries;
  private readonly loop: SampleLoop;
  private readonly devices: Set<string> | null;
  private readonly localeOf: (dev: string) => string;
  private emit: EmitEvents = () => undefined;

  /** `kind` names the collector (`kind@ns`); `show` is the batch line sampled; `absent` prefixes the missing devices' error. */
  constructor(
    kind: string,
    private readonly tool: Tool,
    private readonly show: string,
    private readonly absent: string,
    opts: DeviceCollectorOptions,
    defaultPeriodMs: number,
  ) {
    const ns = opts.netns === undefined ? undefined : netnsName('netns', opts.netns);
    this.devices = opts.devices ? new Set(opts.devices.map((d, i) => devName(`devices[${i}]`, d))) : null;
    this.localeOf = opts.localeOf ?? ((dev) => (ns ? `${ns}/${dev}` : dev));
    this.name = `${kind}@${ns ?? 'host'}`;
    this.batch = new BatchQueries(tool, ns ?? null);
    this.loop = new SampleLoop(opts.periodMs ?? defaultPeriodMs, () => this.sample(), this.counters);
  }

  async start(emit: EmitEvents, onError?: ReportError): Promise<void> {
    this.emit = emit;
    if (onError) this.loop.onError = onError;
    await this.sample();
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.batch.close();
  }

  /** Takes one sample now (the loop calls this every period). */
  async sample(): Promise<void> {
    const out = await this.batch.query(this.show);
    if (!Array.isArray(out)) throw new Error(`${this.tool} ${this.show}: expected a JSON array`);
    const time = nowMicros();
    const events: SmartRecord[] = [];
    const seen = new Set<string>();
    for (const entry of out as Record<string, unknown>[]) {
      const dev = this.deviceOf(entry);
      if (dev === null || (this.devices && !this.devices.has(dev))) continue;
      seen.add(dev);
      this.read(dev, entry, (name, value) => events.push({ time, locale: this.localeOf(dev), kind: 'event', name, value }));
    }
    if (events.length) {
      this.counters.events += events.length;
      this.emit(events);
    }
    const missing = this.devices ? [...this.devices].filter((d) => !seen.has(d)) : [];
    if (missing.length) throw new Error(`${this.absent} ${missing.join(', ')} (${this.name})`);
  }

  /** The device an entry of the `show` output describes, or null when it is not one to read. */
  protected abstract deviceOf(entry: Record<string, unknown>): string | null;
  /** Reads a watched device's entry, adding its events. */
  protected abstract read(dev: string, entry: Record<string, unknown>, event: DeviceEvent): void;
}

/** A counter value of tool JSON: a finite number, else 0. */
export function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
