// The SmartTags driver (S.D.): public surface for the composition root (src/system) and tools.

export { Driver, type DriverOptions, type DriverLogger } from './driver.ts';
export { SignatureDb } from './signature-db.ts';
export { type DriverCounters } from './counters.ts';
export { parseStatsdLine } from './statsd.ts';
export * from './collectors/index.ts';
