// The event collector contract: a module that samples a counter source periodically and emits Events
// (records of kind "event") when something worth reporting changed, plus the shared sampling loop.

import type { SmartRecord } from '../../protocol/record.ts';

export type EmitEvents = (events: SmartRecord[]) => void;
export type ReportError = (err: Error) => void;

export interface CollectorCounters {
  samples: number;
  events: number;
  errors: number;
  lastError: string | null;
}

export interface Collector {
  /** Kind and scope, e.g. `qdisc@ns1`. */
  readonly name: string;
  readonly counters: CollectorCounters;
  /** Starts sampling; `onError` hears about every failed sample (which is also counted). */
  start(emit: EmitEvents, onError?: ReportError): Promise<void>;
  stop(): Promise<void>;
}

export function newCollectorCounters(): CollectorCounters {
  return { samples: 0, events: 0, errors: 0, lastError: null };
}

/**
 * Runs `sample` every `periodMs` (down to 1 ms) without overlap: the next sample starts `periodMs` after the
 * previous one started, or right after it finished if it took longer. Errors are counted, never thrown.
 */
export class SampleLoop {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private current: Promise<void> | null = null;
  /** Hears about every failed sample. */
  onError: ReportError = () => undefined;

  constructor(
    private readonly periodMs: number,
    private readonly sample: () => Promise<void>,
    private readonly counters: CollectorCounters,
  ) {
    if (!(periodMs >= 1)) throw new RangeError(`period ${periodMs} ms: must be at least 1 ms`);
  }

  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current;
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      const began = performance.now();
      this.current = this.sample()
        .then(() => {
          this.counters.samples++;
        })
        .catch((err: Error) => {
          this.counters.errors++;
          this.counters.lastError = err.message;
          this.onError(err);
        })
        .finally(() => {
          this.current = null;
          this.schedule(Math.max(0, this.periodMs - (performance.now() - began)));
        });
    }, delay);
  }
}
