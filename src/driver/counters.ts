// The driver's counters as one plain object (for metrics and status), with counted reasons and a short
// memory of the latest rejects so an operator can see which field of which packet was wrong.

export interface DriverCounters {
  /** Packets (SDK batches and StatsD datagrams) received from apps. */
  packets: number;
  tagsReceived: number;
  eventsReceived: number;
  /** Inputs refused, by reason: malformed, oversized, invalid-record, statsd. */
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Accepted records that could not be forwarded, by reason: rate-limit, queue-full, actions-inflight, bus. */
  dropped: number;
  droppedByReason: Record<string, number>;
  /** SDK packets lost between app and driver, from gaps in the apps' packet sequence numbers. */
  packetsLostInTransit: number;
  recordsPublished: number;
  batchesPublished: number;
  actionsRequested: number;
  actionsDecided: number;
  actionsFailed: number;
  repliesSent: number;
  /** Act-above tables sent to apps (on announce and on every signature update). */
  thresholdTablesSent: number;
  hintsDelivered: number;
  hintsUndeliverable: number;
  signatures: number;
  signatureGeneration: number;
  collectorErrors: number;
  /** Up to 16 latest reject messages, newest last. */
  recentRejects: string[];
}

export function newCounters(): DriverCounters {
  return {
    packets: 0, tagsReceived: 0, eventsReceived: 0, rejected: 0, rejectedByReason: {}, dropped: 0, droppedByReason: {},
    packetsLostInTransit: 0, recordsPublished: 0, batchesPublished: 0, actionsRequested: 0, actionsDecided: 0,
    actionsFailed: 0, repliesSent: 0, thresholdTablesSent: 0, hintsDelivered: 0, hintsUndeliverable: 0, signatures: 0, signatureGeneration: -1,
    collectorErrors: 0, recentRejects: [],
  };
}

const RECENT_REJECTS = 16;

export function countReject(c: DriverCounters, reason: string, message: string, n = 1): void {
  c.rejected += n;
  c.rejectedByReason[reason] = (c.rejectedByReason[reason] ?? 0) + n;
  c.recentRejects.push(message);
  if (c.recentRejects.length > RECENT_REJECTS) c.recentRejects.shift();
}

export function countDrop(c: DriverCounters, reason: string, n = 1): void {
  c.dropped += n;
  c.droppedByReason[reason] = (c.droppedByReason[reason] ?? 0) + n;
}
