// Which component counters become which Prometheus metrics. Metrics shared by engine, drivers and controller
// carry the same labels: component, id (driver id, or the component name) and, for rejects and drops, reason.

import type { Controller } from '../controller/index.ts';
import type { Driver } from '../driver/driver.ts';
import type { NatsBus } from '../bus/nats.ts';
import type { EngineService } from '../engine/service.ts';
import type { SystemMetrics } from './metrics.ts';

/** The collect function of an unlabelled series. */
const one = (value: () => number) => () => [{ labels: {}, value: value() }];

export function registerEngineMetrics(m: SystemMetrics, engine: EngineService): void {
  const s = engine.stats;
  const c = 'engine';
  m.counter('smarttags_tags_received_total', 'Tags received, by component', ['component', 'id'], () => [{ labels: { component: c, id: c }, value: s.tags }]);
  m.counter('smarttags_events_received_total', 'Events received, by component', ['component', 'id'], () => [{ labels: { component: c, id: c }, value: s.events }]);
  m.counter('smarttags_records_rejected_total', 'Records or batches refused as invalid, by component and reason', ['component', 'id', 'reason'], () => [
    { labels: { component: c, id: c, reason: 'invalid-record' }, value: s.rejected },
    { labels: { component: c, id: c, reason: 'invalid-batch' }, value: s.rejectedBatches },
    { labels: { component: c, id: c, reason: 'oversized-batch' }, value: s.oversizedBatches },
  ]);
  m.counter('smarttags_records_dropped_total', 'Accepted records dropped, by component and reason', ['component', 'id', 'reason'], () => [
    { labels: { component: c, id: c, reason: 'window-evicted' }, value: s.windowEvicted },
    { labels: { component: c, id: c, reason: 'store-queue-full' }, value: s.persistDropped },
  ]);
  m.counter('smarttags_engine_duplicate_batches_total', 'Batches seen twice (redeliveries), skipped', [], one(() => s.duplicateBatches));
  m.counter('smarttags_engine_driver_restarts_total', 'Drivers seen starting over (a new boot id, or seq 1 again)', [], one(() => s.driverRestarts));
  m.counter('smarttags_engine_batches_total', 'RecordBatches ingested by the engine', [], one(() => s.batches));
  m.gauge('smarttags_engine_missing_batches', 'Batches missing now below drivers\' highest sequence numbers', [], one(() => s.missingBatches));
  m.counter('smarttags_engine_late_batches_total', 'Batches that filled a sequence gap (redelivered or reordered)', [], one(() => s.lateBatches));
  m.counter('smarttags_engine_persisted_records_total', 'Records committed to the DuckDB store', [], one(() => s.persisted));
  m.gauge('smarttags_engine_persist_queued_records', 'Records waiting for a DuckDB commit', [], one(() => s.persistQueued));
  m.gauge('smarttags_engine_persist_waiting_batches', 'Batches from a durable bus waiting for their commit to be acknowledged', [], one(() => s.persistWaitingBatches));
  m.counter('smarttags_engine_persist_deferred_batches_total', 'Batches refused for redelivery because the store queue was full (durable bus)', [], one(() => s.persistDeferredBatches));
  m.counter('smarttags_engine_persist_commits_total', 'DuckDB transactions that committed records', [], one(() => s.persistCommits));
  m.counter('smarttags_engine_persist_failures_total', 'Failed DuckDB writes (records stay queued and are retried)', [], one(() => s.persistFailures));
  m.gauge('smarttags_engine_window_records', 'Records in the engine\'s learning window', [], one(() => s.windowSize));
  m.counter('smarttags_learn_runs_total', 'Learning runs, by result', ['result'], () => [
    { labels: { result: 'ok' }, value: s.learnRuns - s.learnFailures },
    { labels: { result: 'failed' }, value: s.learnFailures },
    { labels: { result: 'skipped' }, value: s.learnSkipped },
  ]);
  m.gauge('smarttags_learn_last_duration_seconds', 'Duration of the last learning run', [], one(() => s.lastLearnMs / 1000));
  m.gauge('smarttags_signatures_generation', 'Generation of the signatures in force', [], one(() => s.generation));
  m.counter('smarttags_signatures_published_total', 'Signature generations published to drivers', [], one(() => s.published));
}

export function registerDriverMetrics(m: SystemMetrics, drivers: readonly Driver[]): void {
  const each = (value: (d: Driver) => number) => () => drivers.map((d) => ({ labels: { component: 'driver', id: d.id }, value: value(d) }));
  const byReason = (pick: (d: Driver) => Record<string, number>) => () =>
    drivers.flatMap((d) => Object.entries(pick(d)).map(([reason, value]) => ({ labels: { component: 'driver', id: d.id, reason }, value })));
  m.counter('smarttags_tags_received_total', 'Tags received, by component', ['component', 'id'], each((d) => d.counters.tagsReceived));
  m.counter('smarttags_events_received_total', 'Events received, by component', ['component', 'id'], each((d) => d.counters.eventsReceived));
  m.counter('smarttags_records_rejected_total', 'Records or batches refused as invalid, by component and reason', ['component', 'id', 'reason'], byReason((d) => d.counters.rejectedByReason));
  m.counter('smarttags_records_dropped_total', 'Accepted records dropped, by component and reason', ['component', 'id', 'reason'], byReason((d) => d.counters.droppedByReason));
  m.counter('smarttags_driver_packets_total', 'Packets (SDK batches, StatsD datagrams) received by drivers', ['driver'], () => drivers.map((d) => ({ labels: { driver: d.id }, value: d.counters.packets })));
  m.counter('smarttags_driver_packets_lost_in_transit_total', 'SDK packets lost between apps and driver (sequence gaps)', ['driver'], () => drivers.map((d) => ({ labels: { driver: d.id }, value: d.counters.packetsLostInTransit })));
  m.counter('smarttags_driver_records_published_total', 'Records forwarded to the engine', ['driver'], () => drivers.map((d) => ({ labels: { driver: d.id }, value: d.counters.recordsPublished })));
  m.counter('smarttags_driver_actions_requested_total', 'Tags sent to the controller (action phase)', ['driver'], () => drivers.map((d) => ({ labels: { driver: d.id }, value: d.counters.actionsRequested })));
  m.counter('smarttags_driver_collector_errors_total', 'Collector sampling errors', ['driver'], () => drivers.map((d) => ({ labels: { driver: d.id }, value: d.counters.collectorErrors })));
  m.gauge('smarttags_driver_queued_records', 'Records waiting to be forwarded to the engine', ['driver'], () => drivers.map((d) => ({ labels: { driver: d.id }, value: d.queuedRecords })));
  m.gauge('smarttags_driver_signatures', 'Signatures in the driver\'s local database', ['driver'], () => drivers.map((d) => ({ labels: { driver: d.id }, value: d.counters.signatures })));
}

export function registerControllerMetrics(m: SystemMetrics, controller: Controller): void {
  const c = controller.counters;
  m.gauge('smarttags_rules_active', 'Rules in place now', [], one(() => controller.rulesActive));
  m.counter('smarttags_rules_applied_total', 'Rules applied', [], one(() => c.applied));
  m.counter('smarttags_rules_expired_total', 'Rules reverted at their expiration', [], one(() => c.expired));
  m.counter('smarttags_rules_refused_total', 'Rules refused by limits (concurrent rules, actions per second) or errors', [], one(() => c.refused));
  m.counter('smarttags_rules_coalesced_total', 'Repeated Tags folded into a live rule (expiry extended)', [], one(() => c.coalesced));
  m.counter('smarttags_rules_recovered_total', 'Rules left by a crashed run and reverted at start', [], one(() => c.recovered));
  m.counter('smarttags_controller_requests_total', 'Action requests answered', [], one(() => c.requests));
  m.counter('smarttags_controller_bad_requests_total', 'Action requests refused as malformed', [], one(() => c.badRequests));
  m.counter('smarttags_controller_hints_total', 'Application hints sent', [], one(() => c.hints));
  m.counter('smarttags_controller_errors_total', 'Actuator errors', [], one(() => c.errors));
}

export function registerNatsMetrics(m: SystemMetrics, bus: NatsBus): void {
  const c = bus.counters;
  m.counter('smarttags_bus_published_total', 'Messages published on the NATS bus', [], one(() => c.published));
  m.counter('smarttags_bus_acked_total', 'Durable publications acknowledged by JetStream', [], one(() => c.acked));
  m.counter('smarttags_bus_retries_total', 'Durable publications retried', [], one(() => c.retries));
  m.counter('smarttags_bus_dropped_total', 'Durable publications dropped (too many waiting for acks)', [], one(() => c.dropped));
  m.counter('smarttags_bus_redeliveries_total', 'Durable messages handed back for redelivery (the engine\'s store queue was full)', [], one(() => c.redeliveries));
  m.counter('smarttags_bus_redeliveries_absorbed_total', 'Copies of a durable message sent again while the engine still worked on it (not handed over twice)', [], one(() => c.redeliveriesAbsorbed));
  m.gauge('smarttags_bus_pending_deliveries', 'Durable messages the engine holds until their commit', [], one(() => bus.pendingDeliveries));
  m.counter('smarttags_bus_bad_messages_total', 'Bus messages that were not valid JSON', [], one(() => c.badMessages));
  m.gauge('smarttags_bus_pending_publishes', 'Durable publications waiting for a JetStream ack', [], one(() => bus.pendingPublishes));
}
