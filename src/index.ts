// The SmartTags library: what an operator's own program imports to learn signatures, run the system
// or act on signatures. Applications emitting Tags import `smarttags/sdk` instead (no dependencies).

export * from './protocol/index.ts';
export type { Signature, SignaturesDoc, Endpoint, Extent, ExtentBin, LagHistogram } from './engine/signature.ts';
export { learnSignatures, type LearnResult, type LearnStats, type CandidateOutcome } from './engine/learn.ts';
export { learnSignaturesParallel } from './engine/learn-parallel.ts';
export { topologyRelations } from './engine/candidates.ts';
export { resolveParams, DEFAULT_PARAMS, type LearnParams } from './engine/params.ts';
export { crudeSignatures } from './engine/crude.ts';
export { writeReport, renderReport } from './report/index.ts';
export { startSystem, type RunningSystem } from './system/system.ts';
export { parseConfig, loadConfigFile, defaultConfig, type SystemConfig } from './system/config.ts';
export { createController, standardActuators, Controller } from './controller/index.ts';
export { Driver, createCollector } from './driver/index.ts';
export type { Bus } from './bus/bus.ts';
export { InProcessBus } from './bus/in-process.ts';
export { NatsBus } from './bus/nats.ts';
