// The `smarttags up` configuration (smarttags.yaml): its shape, the embedded defaults, and validation
// that names the file, line, column and field of every mistake.

import { readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { identifierProblem } from '../protocol/record.ts';
import { DEFAULT_SOCKET_PATH } from '../sdk/endpoint.ts';
import { CollectorConfigError, createCollector } from '../driver/collectors/index.ts';
import { parseControllerConfig, PolicyError, type ControllerConfig } from '../controller/index.ts';
import { DEFAULT_PARAMS, resolveParams } from '../engine/params.ts';
import { MAX_BATCH_RECORDS, PERSIST_INTERVAL_MS, PERSIST_QUEUE_RECORDS, type EngineServiceOptions } from '../engine/service.ts';
import { Topology } from '../protocol/topology.ts';
import { isNetnsName } from '../linux/names.ts';
import { Fields, YamlSource, type ConfigError } from './yaml-fields.ts';

export type { ConfigError };

export interface StoreConfig {
  /** DuckDB file, or ':memory:'. */
  path: string;
  /** Most accepted records waiting for a commit; beyond, a NATS batch is refused for redelivery (in-process: kept in the window only, counted). */
  maxQueuedRecords: number;
  /** Commit period of the queued records (a commit also starts when a quarter of the queue, at most 200k, is waiting). */
  commitIntervalMs: number;
}

export type BusConfig =
  | { kind: 'in-process' }
  /** ackWaitMs: redelivery delay of records a crashed engine had taken but not acknowledged (a live engine marks those it holds as in progress). */
  | { kind: 'nats'; servers: string[]; ackWaitMs: number };

/** The engine service's options that the config file sets. */
export type EngineConfig = Pick<EngineServiceOptions, 'learnIntervalMs' | 'windowMs' | 'windowRecords' | 'minRecords' | 'learn' | 'topology'>;

export interface CollectorConfig {
  /** Collector kind as the driver names it (qdisc, interface, tcp, ...). */
  kind: string;
  /** Its options, validated by the driver. */
  options: Record<string, unknown>;
}

export interface DriverConfig {
  id: string;
  /** Locales this driver serves (stamped on tags without one; its signature database covers them). */
  locales: string[];
  /** Unix socket for SDK batches. */
  socket: string;
  /** UDP loopback port for SDK batches; 0 = any free port; absent = off. */
  udpPort?: number;
  /** StatsD listener UDP loopback port; 0 = any free port; absent = off. */
  statsdPort?: number;
  /** Network namespace whose counters the collectors read; absent = the host. */
  namespace?: string;
  /** Forwarding to the engine: sustained records/s and queue bound (beyond either, dropped and counted). */
  maxRecordsPerSecond: number;
  maxQueuedRecords: number;
  collectors: CollectorConfig[];
}

export interface HttpConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface SystemConfig {
  /** Where the config came from: a file path or "(embedded default)". */
  source: string;
  store: StoreConfig;
  bus: BusConfig;
  engine: EngineConfig;
  /** The controller section (journal, limits, dry run, locales, policies), validated by the controller. */
  controller: ControllerConfig;
  drivers: DriverConfig[];
  http: HttpConfig;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DRIVER_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The first driver listens where the SDK looks by default; others get a path named after their id. */
export function defaultSocketPath(driverId: string, index: number): string {
  return index === 0 ? DEFAULT_SOCKET_PATH : join(tmpdir(), `smarttags-${driverId}.sock`);
}

/** Reads and validates a config file; throws ConfigError naming line and field. */
export function loadConfigFile(file: string): SystemConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config ${file}: ${(err as Error).message}`);
  }
  return parseConfig(text, file);
}

/** The embedded default: in-process bus, DuckDB file in the working directory, one host driver. */
export function defaultConfig(): SystemConfig {
  return parseConfig('{}', '(embedded default)');
}

/** The learner's parameters (src/engine/params.ts) plus `maxHops` of the topology relation, checked now. */
function learnParams(f: Fields): Record<string, unknown> {
  const known = new Set([...Object.keys(DEFAULT_PARAMS), 'maxHops']);
  const raw = f.plain();
  for (const k of Object.keys(raw)) if (!known.has(k)) throw f.src.error([...f.path, k], `unknown learning parameter (known: ${[...known].join(', ')})`, true);
  const { maxHops, ...params } = raw;
  if (maxHops !== undefined && !(Number.isSafeInteger(maxHops) && (maxHops as number) >= 0)) throw f.src.error([...f.path, 'maxHops'], `must be a non-negative integer, got ${JSON.stringify(maxHops)}`);
  try {
    resolveParams(params);
  } catch (err) {
    const m = /^params\.(\w+): (.*)$/s.exec((err as Error).message);
    throw m ? f.src.error([...f.path, m[1]!], m[2]!) : f.src.error(f.path, (err as Error).message);
  }
  return raw;
}

/** Without a `collectors` list a driver watches its host or namespace: qdisc drops/backlog and TCP counters every 100 ms. */
function defaultCollectors(src: YamlSource, d: Fields): Fields[] {
  d.raw('collectors');
  return [
    new Fields(src, [...d.path], { kind: 'qdisc', periodMs: 100 }),
    new Fields(src, [...d.path], { kind: 'tcp', periodMs: 100 }),
  ];
}

export function parseConfig(text: string, file: string): SystemConfig {
  const src = new YamlSource(file, text);
  const root = new Fields(src, [], src.value);

  const storeF = root.sub('store');
  const store: StoreConfig = {
    path: storeF.str('path', 'smarttags.duckdb'),
    // At least the largest batch the engine takes, so any batch fits an empty queue (else NATS redelivers it forever).
    maxQueuedRecords: storeF.num('maxQueuedRecords', PERSIST_QUEUE_RECORDS, { min: MAX_BATCH_RECORDS, max: 100_000_000, integer: true }),
    commitIntervalMs: storeF.num('commitIntervalMs', PERSIST_INTERVAL_MS, { min: 1, max: 60_000 }),
  };
  storeF.done();

  const busF = root.sub('bus');
  const busKind = busF.oneOf('kind', ['in-process', 'nats'] as const, 'in-process');
  const bus: BusConfig =
    busKind === 'nats'
      ? {
          kind: 'nats',
          servers: busF.strList('servers', ['nats://127.0.0.1:4222'], (s) => (/^(nats|tls):\/\/[^\s]+$/.test(s) ? null : `not a nats:// URL: ${JSON.stringify(s)}`)),
          ackWaitMs: busF.num('ackWaitSec', 5, { min: 0.1, max: 3600 }) * 1000,
        }
      : { kind: 'in-process' };
  busF.done();

  const engF = root.sub('engine');
  const engine: EngineConfig = {
    learnIntervalMs: engF.num('learnIntervalSec', 10, { min: 0.1, max: 86_400 }) * 1000,
    windowMs: engF.num('windowSec', 600, { min: 1, max: 30 * 86_400 }) * 1000,
    windowRecords: engF.num('windowRecords', 2_000_000, { min: 100, max: 200_000_000, integer: true }),
    minRecords: engF.num('minRecords', 100, { min: 1, integer: true }),
    learn: learnParams(engF.sub('learn')),
    topology: engF.optStr('topology'),
  };
  if (engine.topology) {
    try {
      Topology.parse(readFileSync(engine.topology, 'utf8'), engine.topology);
    } catch (err) {
      throw src.error(['engine', 'topology'], (err as Error).message);
    }
  }
  engF.done();

  let controller: ControllerConfig;
  try {
    controller = parseControllerConfig(root.sub('controller').plain(), ['controller']);
  } catch (err) {
    if (err instanceof PolicyError) throw src.error(err.path, err.reason, /unknown field/.test(err.reason));
    throw err;
  }

  const driverList = root.list('drivers');
  const drivers: DriverConfig[] = (driverList.length ? driverList : [new Fields(src, ['drivers', 0], {})]).map((d, i) => {
    const id = d.str('id', i === 0 ? 'local' : `driver${i}`, (s) => (DRIVER_ID_RE.test(s) ? null : `must match ${DRIVER_ID_RE}, got ${JSON.stringify(s)}`));
    const namespace = d.optStr('namespace', (s) => (isNetnsName(s) ? null : `not a valid namespace name: ${JSON.stringify(s)}`));
    const cfg: DriverConfig = {
      id,
      locales: d.strList('locales', [namespace ?? hostname()], identifierProblem),
      socket: d.str('socket', defaultSocketPath(id, i), (p) => (p.startsWith('/') && Buffer.byteLength(p) <= 107 ? null : 'must be an absolute path of at most 107 bytes')),
      udpPort: d.has('udpPort') ? d.num('udpPort', 0, { min: 0, max: 65535, integer: true }) : (d.raw('udpPort'), undefined),
      statsdPort: d.has('statsdPort') ? d.num('statsdPort', 0, { min: 0, max: 65535, integer: true }) : (d.raw('statsdPort'), undefined),
      namespace,
      maxRecordsPerSecond: d.num('maxRecordsPerSecond', 5_000_000, { min: 1, max: 1e9 }),
      maxQueuedRecords: d.num('maxQueuedRecords', 100_000, { min: 1, max: 1e8, integer: true }),
      collectors: (d.has('collectors') ? d.list('collectors') : defaultCollectors(src, d)).map((c) => {
        const kind = c.str('kind', '');
        if (!kind) throw src.error([...c.path, 'kind'], 'missing (qdisc, interface, tcp)');
        const options = { ...c.plain() };
        delete options.kind;
        try {
          createCollector(kind, options, { namespace });
        } catch (err) {
          if (err instanceof CollectorConfigError) throw src.error([...c.path, ...err.field.split(/[.[\]]+/).filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p))], err.message.slice(err.field.length + 2));
          throw err;
        }
        return { kind, options };
      }),
    };
    d.done();
    return cfg;
  });
  const ids = new Set<string>();
  drivers.forEach((d, i) => {
    if (ids.has(d.id)) throw src.error(['drivers', i, 'id'], `duplicate driver id ${JSON.stringify(d.id)}`);
    ids.add(d.id);
  });

  const httpF = root.sub('http');
  const http: HttpConfig = { host: httpF.str('host', '127.0.0.1'), port: httpF.num('port', 9464, { min: 0, max: 65535, integer: true }) };
  httpF.done();

  const logF = root.sub('log');
  const log = { level: logF.oneOf('level', LOG_LEVELS, 'info') };
  logF.done();

  root.done();
  return { source: file, store, bus, engine, controller, drivers, http, log };
}
