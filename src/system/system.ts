// The composition root of one SmartTags process (`smarttags up`): bus, DuckDB store, engine service,
// controller and drivers as configured, plus JSON logs, Prometheus metrics and the HTTP status endpoint.
// `startSystem(config)` is also the library entry for testbeds; `stop()` undoes everything it started.

import type { Bus } from '../bus/bus.ts';
import { InProcessBus } from '../bus/in-process.ts';
import { NatsBus } from '../bus/nats.ts';
import { Driver } from '../driver/driver.ts';
import { createController, type Controller } from '../controller/index.ts';
import type { RuleDecision } from '../bus/messages.ts';
import { createCollector } from '../driver/collectors/index.ts';
import { SUBJECTS, type SignaturesUpdate } from '../bus/messages.ts';
import { EngineService } from '../engine/service.ts';
import { DuckdbStore } from '../store/duckdb-store.ts';
import type { SystemConfig } from './config.ts';
import { startHttp, type HttpEndpoint } from './http.ts';
import { createLogger, type Logger } from './logger.ts';
import { SystemMetrics } from './metrics.ts';
import { registerControllerMetrics, registerDriverMetrics, registerEngineMetrics, registerNatsMetrics } from './system-metrics.ts';

export type Role = 'engine' | 'controller' | 'drivers';
export const ROLES: readonly Role[] = ['engine', 'controller', 'drivers'];

export interface StartOptions {
  /** Which parts run in this process (all by default); the others are reached over the bus. */
  roles?: readonly Role[];
  logger?: Logger;
  /** Serve /metrics and /status (default true). */
  http?: boolean;
}

export interface SystemStatus {
  pid: number;
  roles: Role[];
  startedAt: string;
  signatures: { generation: number; count: number; list: { tag: string; event: string; relation: string; probability: number; leadP50Us: number; windowUs: [number, number] }[] } | null;
  engine: EngineService['stats'] | null;
  controller: { counters: Controller['counters']; activeRules: RuleDecision[] } | null;
  drivers: { id: string; locales: string[]; socket: string; udpPort: number | null; statsdPort: number | null; apps: number; counters: Driver['counters'] }[];
}

export interface RunningSystem {
  config: SystemConfig;
  roles: Role[];
  bus: Bus;
  store: DuckdbStore | null;
  engine: EngineService | null;
  controller: Controller | null;
  drivers: Driver[];
  metrics: SystemMetrics;
  http: HttpEndpoint | null;
  logger: Logger;
  status(): SystemStatus;
  /** The signatures in force as this process knows them. */
  signatures(): SignaturesUpdate | null;
  /** Stops everything started, newest first; safe to call twice. */
  stop(): Promise<void>;
}

export async function startSystem(config: SystemConfig, opts: StartOptions = {}): Promise<RunningSystem> {
  const roles = [...(opts.roles ?? ROLES)];
  const logger = opts.logger ?? createLogger(config.log.level);
  const log = logger.child({ component: 'system' });
  const undo: Array<{ what: string; run: () => Promise<void> | void }> = [];
  const stop = async () => {
    while (undo.length) {
      const step = undo.pop()!;
      try {
        await step.run();
      } catch (err) {
        log.error({ err: (err as Error).message, step: step.what }, 'stop step failed');
      }
    }
  };
  const startedAt = new Date().toISOString();
  try {
    const bus = await openBus(config);
    undo.push({ what: 'bus', run: () => bus.close() });
    const metrics = new SystemMetrics();
    if (bus instanceof NatsBus) registerNatsMetrics(metrics, bus);

    let store: DuckdbStore | null = null;
    let engine: EngineService | null = null;
    if (roles.includes('engine')) {
      store = await DuckdbStore.open(config.store.path);
      undo.push({ what: 'store', run: () => store!.close() });
      const engineLog = logger.child({ component: 'engine' });
      engine = new EngineService(bus, {
        ...config.engine,
        store,
        persistQueueRecords: config.store.maxQueuedRecords,
        persistIntervalMs: config.store.commitIntervalMs,
        backPressure: config.bus.kind !== 'in-process',
        onProblem: (what, detail) => engineLog.warn(detail, what),
      });
      await engine.start();
      undo.push({ what: 'engine', run: () => engine!.stop() });
      registerEngineMetrics(metrics, engine);
      engineLog.info({ store: config.store.path, generation: engine.stats.generation }, 'engine started');
    }

    let controller: Controller | null = null;
    if (roles.includes('controller')) {
      controller = createController(bus, config.controller, { log: logger.child({ component: 'controller' }) });
      const report = await controller.start();
      undo.push({ what: 'controller', run: () => controller!.close() });
      if (report.errors.length) log.warn({ errors: report.errors }, 'controller recovery: some rules could not be undone (already gone?)');
      registerControllerMetrics(metrics, controller);
    }

    const drivers: Driver[] = [];
    if (roles.includes('drivers')) {
      for (const d of config.drivers) {
        const driver = new Driver({
          id: d.id,
          locales: d.locales,
          bus,
          socketPath: d.socket,
          udpPort: d.udpPort,
          statsdPort: d.statsdPort,
          collectors: d.collectors.map((c) => createCollector(c.kind, c.options, { namespace: d.namespace })),
          forwarder: { maxRecordsPerSecond: d.maxRecordsPerSecond, maxQueuedRecords: d.maxQueuedRecords },
          logger: logger.child({ component: 'driver', driver: d.id }),
        });
        await driver.start();
        undo.push({ what: `driver ${d.id}`, run: () => driver.stop() });
        drivers.push(driver);
      }
      registerDriverMetrics(metrics, drivers);
    }

    // Signatures as this process knows them: from its engine, else the latest published on the bus.
    let lastPublished: SignaturesUpdate | null = null;
    const unsub = bus.subscribe<SignaturesUpdate>(SUBJECTS.signatures, (u) => {
      if (!lastPublished || u.generation > lastPublished.generation) lastPublished = u;
    });
    undo.push({ what: 'signatures subscription', run: unsub });
    const signatures = () => engine?.signatures() ?? lastPublished;

    const status = (): SystemStatus => {
      const s = signatures();
      return {
        pid: process.pid,
        roles,
        startedAt,
        signatures: s && {
          generation: s.generation,
          count: s.doc.signatures.length,
          list: s.doc.signatures.map((g) => ({
            tag: `${g.tag.name}@${g.tag.locale}`,
            event: `${g.event.name}@${g.event.locale}`,
            relation: g.relation,
            probability: g.probability,
            leadP50Us: g.leadTime.p50,
            windowUs: [g.window.start, g.window.end],
          })),
        },
        engine: engine ? { ...engine.stats } : null,
        controller: controller && { counters: { ...controller.counters }, activeRules: controller.activeRules() },
        drivers: drivers.map((d, i) => ({
          id: d.id,
          locales: config.drivers[i]!.locales,
          socket: config.drivers[i]!.socket,
          udpPort: d.udpPort,
          statsdPort: d.statsdPort,
          apps: d.appCount,
          counters: d.counters,
        })),
      };
    };

    let http: HttpEndpoint | null = null;
    if (opts.http !== false) {
      http = await startHttp(config.http.host, config.http.port, { metrics, status, signatures: () => signatures() });
      undo.push({ what: 'http', run: () => http!.close() });
      log.info({ url: http.url }, 'http endpoint listening (/metrics /status /signatures)');
    }

    log.info({ roles, config: config.source, bus: config.bus.kind }, 'smarttags up');
    return { config, roles, bus, store, engine, controller, drivers, metrics, http, logger, status, signatures, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function openBus(config: SystemConfig): Promise<Bus> {
  if (config.bus.kind === 'in-process') return new InProcessBus();
  return NatsBus.connect({ servers: config.bus.servers, ackWaitMs: config.bus.ackWaitMs, name: `smarttags-${process.pid}` });
}
