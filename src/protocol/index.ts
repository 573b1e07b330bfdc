// Public exports of the SmartTags protocol: the record, its series store, record file readers and writers,
// and the network topology used to relate locales.

export * from './record.ts';
export * from './series-store.ts';
export * from './time-unit.ts';
export * from './problems.ts';
export { parseRecordSpec, detectRecordFormat, type RecordFileSpec, type RecordFileFormat } from './record-format.ts';
export { readRecordFiles, iterateRecordFiles, readRecordsFromBuffer, MAX_LINE_BYTES, type ReadOptions, type ReadResult, type BufferReadOptions } from './record-reader.ts';
export type { RecordSink } from './record-sink.ts';
export { RecordWriter, writeRecordFile, RECORD_FORMATS, type RecordFormat, type WriterOptions } from './record-writer.ts';
export { Topology, TopologyError, relationLabel, DEFAULT_MAX_HOPS, type TopologyDoc, type TopologyNode, type TopologyLink } from './topology.ts';
export { forEachCandidatePair, countCandidatePairs, candidateBoundProblem, MAX_CANDIDATE_PAIRS, NO_TOPOLOGY_RELATION } from './candidates.ts';
/** The binary wire format between applications (SDK) and their local driver. */
export * as wire from './wire.ts';
