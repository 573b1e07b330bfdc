// Public API of the evaluation component: the seeded scenario generator (synthesize, writeScenario), the
// truth document, and scoring of signatures against truth, and the crude-vs-learner comparison.

export { synthesize, Scenario, SCENARIOS, type RecordChunk, type ScenarioName, type ScenarioOptions } from './synthesize.ts';
export { writeScenario, type WriteResult } from './write-scenario.ts';
export { leafSpine, type LeafSpineDoc } from './topology.ts';
export { readTruth, validateTruth, type TruthDoc, type TruthPair, type TruthDecoy } from './truth.ts';
export { parseDurationUs, formatDuration } from './duration.ts';
export { scoreSignatures, type Score } from './score.ts';
export { compareMethods, summarize, runMethod, type CompareRow, type CompareSummary, type Method } from './compare.ts';
