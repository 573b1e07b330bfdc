// Which component counters become which Prometheus metrics (names shared by engine, drivers, controller).

import type { EngineService } from '../engine/service.ts';
import type { SystemMetrics } from './metrics.ts';

export function registerEngineMetrics(m: SystemMetrics, engine: EngineService): void {
  const s = engine.stats;
  const c = 'engine';
  m.counter('smarttags_tags_received_total', 'Tags received, by component', ['component'], () => [{ labels: { component: c }, value: s.tags }]);
  m.counter('smarttags_events_received_total', 'Events received, by component', ['component'], () => [{ labels: { component: c }, value: s.events }]);
  m.counter('smarttags_records_rejected_total', 'Records or batches refused as invalid, by component and reason', ['component', 'reason'], () => [
    { labels: { component: c, reason: 'invalid-record' }, value: s.rejected },
    { labels: { component: c, reason: 'invalid-batch' }, value: s.rejectedBatches },
  ]);
  m.counter('smarttags_records_dropped_total', 'Accepted records dropped, by component and reason', ['component', 'reason'], () => [
    { labels: { component: c, reason: 'window-evicted' }, value: s.windowEvicted },
    { labels: { component: c, reason: 'duplicate-batch' }, value: s.duplicateBatches },
  ]);
  m.counter('smarttags_engine_batches_total', 'RecordBatches ingested by the engine', [], () => [{ labels: {}, value: s.batches }]);
  m.counter('smarttags_engine_missing_batches_total', 'Batches missing from drivers\' sequence numbers', [], () => [{ labels: {}, value: s.missingBatches }]);
  m.counter('smarttags_engine_persisted_records_total', 'Records appended to the DuckDB store', [], () => [{ labels: {}, value: s.persisted }]);
  m.gauge('smarttags_engine_window_records', 'Records in the engine\'s learning window', [], () => [{ labels: {}, value: s.windowSize }]);
  m.counter('smarttags_learn_runs_total', 'Learning runs, by result', ['result'], () => [
    { labels: { result: 'ok' }, value: s.learnRuns - s.learnFailures },
    { labels: { result: 'failed' }, value: s.learnFailures },
    { labels: { result: 'skipped' }, value: s.learnSkipped },
  ]);
  m.gauge('smarttags_learn_last_duration_seconds', 'Duration of the last learning run', [], () => [{ labels: {}, value: s.lastLearnMs / 1000 }]);
  m.gauge('smarttags_signatures_generation', 'Generation of the signatures in force', [], () => [{ labels: {}, value: s.generation }]);
  m.counter('smarttags_signatures_published_total', 'Signature generations published to drivers', [], () => [{ labels: {}, value: s.published }]);
}
