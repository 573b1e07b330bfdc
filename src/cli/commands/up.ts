// `smarttags up`: runs engine, controller and drivers of the config in one process until SIGINT/SIGTERM,
// then stops cleanly (rules reverted, store flushed, sockets removed).

import { parseCommandArgs, UsageError } from '../../options/args.ts';
import { defaultConfig, loadConfigFile } from '../../system/config.ts';
import { ROLES, startSystem, type Role } from '../../system/system.ts';

export const summary = 'run engine, controller and drivers in one process (embedded default: no server)';

const HELP = `usage: smarttags up [--config smarttags.yaml] [--role engine|controller|drivers ...] [--http-port N] [--store FILE]

Runs the SmartTags system of the config (or the embedded default: in-process bus, smarttags.duckdb,
one host driver at /tmp/smarttags-driver.sock, /metrics, /status and /signatures on 127.0.0.1:9464) until
SIGINT or SIGTERM. --role (repeatable) runs only some parts; the others are reached over the bus (NATS).`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { config: { type: 'string', short: 'c' }, role: { type: 'string', multiple: true }, 'http-port': { type: 'string' }, store: { type: 'string' } }, HELP);
  if (!args) return 0;
  if (args.positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}\n${HELP}`);
  const config = args.values.config ? loadConfigFile(args.values.config) : defaultConfig();
  if (args.values['http-port'] !== undefined) {
    const port = Number(args.values['http-port']);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--http-port: not a port: ${JSON.stringify(args.values['http-port'])}`);
    config.http.port = port;
  }
  if (args.values.store) config.store.path = args.values.store;
  const roles = args.values.role?.map((r) => {
    if (!ROLES.includes(r as Role)) throw new UsageError(`--role: must be one of ${ROLES.join(', ')}, got ${JSON.stringify(r)}`);
    return r as Role;
  });
  if (roles && config.bus.kind === 'in-process' && ROLES.some((r) => !roles.includes(r)))
    throw new UsageError(`--role ${roles.join(' --role ')}: the other parts are reached over the bus, which needs bus.kind nats in the config (the in-process bus stays inside this process)`);
  const system = await startSystem(config, { roles });
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      system.logger.info({ signal: sig }, 'stopping');
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await system.stop();
  system.logger.info('stopped');
  return 0;
}
