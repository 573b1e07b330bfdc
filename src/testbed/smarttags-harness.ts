// The SmartTags parts a testbed case runs beside its workload (the library equivalent of `smarttags up`):
// an in-process bus, the engine service learning from live records, a host driver whose Unix socket the
// application's SDK reaches from inside its namespace, a switch driver with the qdisc collector, and the
// controller with the case's policies (actuators acting inside the testbed's namespaces).

import { unlink } from 'node:fs/promises';
import { InProcessBus } from '../bus/in-process.ts';
import { SUBJECTS, type RecordBatch } from '../bus/messages.ts';
import { Driver, QdiscCollector } from '../driver/index.ts';
import { EngineService } from '../engine/service.ts';
import { createController, parseControllerConfig, type Controller } from '../controller/index.ts';
import type { SignaturesDoc } from '../engine/signature.ts';
import { checkIfName, checkName } from './names.ts';

export interface HarnessOptions {
  /** Run prefix: names the socket so parallel runs never collide. */
  prefix: string;
  /** Locale of the application's Tags. */
  appLocale: string;
  /**
   * Switch/router namespaces and their ports whose qdisc drops become Events; one driver each. `queues`
   * (default the root: the port's total) selects queues as the qdisc collector's option does, e.g. ['1:10'].
   */
  eventPorts: { ns: string; devices: string[]; locale: (dev: string) => string; queues?: string[] }[];
  samplePeriodMs: number;
  learn: Record<string, unknown>;
  /** The `controller:` config section (policies); its journal goes next to the socket. */
  controller: Record<string, unknown>;
}

export class SmartTagsHarness {
  readonly bus = new InProcessBus();
  readonly engine: EngineService;
  readonly hostDriver: Driver;
  readonly switchDrivers: Driver[];
  readonly socketPath: string;
  readonly journalPath: string;
  controller: Controller;
  /** Records seen on the bus (what the engine learned from), counted by kind. */
  readonly seen = { tags: 0, events: 0 };
  private readonly unsub: () => void;

  constructor(o: HarnessOptions) {
    for (const p of o.eventPorts) {
      checkName('namespace', p.ns);
      p.devices.forEach(checkIfName);
    }
    this.socketPath = `/tmp/smarttags-${o.prefix}app.sock`;
    this.journalPath = `/tmp/smarttags-${o.prefix}rules.jsonl`;
    this.controller = createController(this.bus, parseControllerConfig({ ...o.controller, journal: this.journalPath }));
    this.engine = new EngineService(this.bus, { learnIntervalMs: 3_600_000, windowMs: 3_600_000, windowRecords: 2_000_000, minRecords: 10, learn: o.learn });
    this.hostDriver = new Driver({ id: 'host', locales: [o.appLocale], bus: this.bus, socketPath: this.socketPath });
    this.switchDrivers = o.eventPorts.map((p, i) => new Driver({
      id: `switch${i + 1}`,
      locales: [p.locale(p.devices[0]!)],
      bus: this.bus,
      collectors: [new QdiscCollector({ netns: p.ns, devices: p.devices, periodMs: o.samplePeriodMs, localeOf: p.locale, queues: p.queues })],
    }));
    this.unsub = this.bus.subscribe<RecordBatch>(SUBJECTS.records, (b) => {
      for (const r of b.records) this.seen[r.kind === 'tag' ? 'tags' : 'events']++;
    });
  }

  async start(): Promise<void> {
    await this.controller.start();
    await this.engine.start();
    await this.hostDriver.start();
    for (const d of this.switchDrivers) await d.start();
  }

  /** Replaces the controller by one with another `controller:` section (the old one reverts its rules first). */
  async useController(section: Record<string, unknown>): Promise<void> {
    await this.settle();
    await this.controller.close();
    this.controller = createController(this.bus, parseControllerConfig({ ...section, journal: this.journalPath }));
    await this.controller.start();
  }

  /** Waits until every rule the controller installed has expired and been reverted. */
  async settle(timeoutMs = 5000): Promise<void> {
    const end = performance.now() + timeoutMs;
    while (this.controller.rulesActive > 0) {
      if (performance.now() > end) throw new Error(`controller: ${this.controller.rulesActive} rules still active after ${timeoutMs} ms`);
      await this.controller.expireDue();
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Learns from everything received so far and returns the signatures in force. */
  async learn(): Promise<SignaturesDoc | null> {
    const outcome = await this.engine.learnNow();
    if (outcome === 'failed') throw new Error('engine: learning failed');
    return this.engine.signatures()?.doc ?? null;
  }

  async stop(): Promise<void> {
    this.unsub();
    for (const d of this.switchDrivers) await d.stop();
    await this.hostDriver.stop();
    await this.engine.stop();
    await this.controller.close();
    await this.bus.close();
    await unlink(this.socketPath).catch(() => undefined);
    await unlink(this.journalPath).catch(() => undefined);
  }
}
