// JSON logs (pino) for every SmartTags component of a process; one child logger per component.

import { pino, destination as pinoDestination, stdTimeFunctions, type Logger } from 'pino';

export type { Logger };

/** A JSON logger writing to stdout (fd 1) or to `destination` (a file path or fd). */
export function createLogger(level: string, destination: string | number = 1): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: stdTimeFunctions.isoTime }, pinoDestination({ dest: destination, sync: true }));
}
