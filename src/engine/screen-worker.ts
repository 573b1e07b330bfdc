// Worker thread of the parallel group screen: computes first-lag statistics for the groups it is given
// over shared-memory tag and event times, and posts the (additive) statistics back.

import { parentPort } from 'node:worker_threads';
import { ALL_TIME } from './time-range.ts';
import { addFirstLags, LagBinner } from './screen-stats.ts';

export interface ScreenJob {
  edges: Float64Array;
  /** Per group: index into `tags`, index into `events`, stride. */
  groupTag: Int32Array;
  groupEvents: Int32Array;
  groupStride: Int32Array;
  tags: Float64Array[];
  events: Float64Array[];
}

parentPort?.on('message', (job: ScreenJob) => {
  try {
    const binner = new LagBinner(job.edges);
    const B = binner.bins;
    const out = new Float64Array(job.groupTag.length * 2 * B);
    for (let k = 0; k < job.groupTag.length; k++) {
      addFirstLags(job.tags[job.groupTag[k]!]!, job.events[job.groupEvents[k]!]!, ALL_TIME, binner, out, k * 2 * B, job.groupStride[k]!);
    }
    parentPort!.postMessage({ ok: true, out }, [out.buffer]);
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  }
});
