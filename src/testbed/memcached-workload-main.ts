// Entry point of the MemCached client process inside the client namespace: reads a WorkloadConfig (JSON)
// from argv, runs it -- instrumented with the SmartTags SDK when `tagging` is set: an `MG` Tag (value:
// predicted response bytes) at every MultiGet (waiting for the controller and following its byte-window
// or stagger hint in the action phase; after a wait that timed out, the last hint) and an `RS` Tag when its responses start -- and prints
// {"results": [...], "tagger": stats} on stdout; errors go to stderr with exit code 1.

import { createTagger, type Hint, type Tagger } from '../sdk/index.ts';
import { runWorkload, type IssueAdvice, type WorkloadConfig, type WorkloadHooks } from './memcached-workload.ts';

const raw = process.argv[2];
let tagger: Tagger | null = null;

/**
 * The application hint of a controller reply for this query: a byte window of outstanding responses, or a
 * stagger spreading the per-server requests by one slot each.
 */
function adviceOf(hints: readonly Hint[]): IssueAdvice | undefined {
  const window = hints.find((h) => h.action === 'window');
  const windowBytes = Number(window?.params['windowBytes']);
  const requestBytes = Number(window?.params['requestBytes']);
  if (window && windowBytes > 0 && requestBytes > 0) return { windowBytes, requestBytes };
  const stagger = hints.find((h) => h.action === 'stagger');
  const slotUs = Number(stagger?.params['slotUs']);
  if (stagger && Number.isFinite(slotUs) && slotUs > 0) return { staggerMs: slotUs / 1000 };
  return undefined;
}

/** Closes the tagger while a referenced timer keeps the event loop alive: the SDK's close waits on unref'd handles. */
async function closeTagger(t: Tagger | null): Promise<void> {
  if (!t) return;
  const keepAlive = setTimeout(() => undefined, 2000);
  try {
    await t.close();
  } finally {
    clearTimeout(keepAlive);
  }
}
try {
  if (!raw) throw new Error('usage: memcached-workload-main <config-json>');
  const cfg = JSON.parse(raw) as WorkloadConfig;
  const hooks: WorkloadHooks = {};
  const waits: Record<string, number> = {};
  if (cfg.tagging) {
    const t = createTagger({ locale: cfg.tagging.locale, endpoint: cfg.tagging.endpoint });
    tagger = t;
    const wait = cfg.tagging.wait;
    // The last advice the controller gave for a query it acted on: followed when a wait times out, so a large
    // query the network could not answer in time is not sent as a full fan-out.
    let lastAdvice: IssueAdvice | undefined;
    hooks.onIssue = async (_q, predicted) => {
      if (!wait) return t.tag('MG', predicted);
      const r = await t.tagAndWait('MG', predicted, { timeoutMs: 50 });
      const how = r.status === 'decided' && r.local ? 'standing' : r.status;
      waits[how] = (waits[how] ?? 0) + 1;
      if (r.status === 'timeout') return lastAdvice;
      if (r.status !== 'decided') return undefined;
      const advice = adviceOf(r.reply.hints);
      if (advice) lastAdvice = advice;
      return advice;
    };
    hooks.onFirstResponse = (q) => t.tag('RS', q.parts.length);
  }
  const results = await runWorkload(cfg, hooks);
  await closeTagger(tagger);
  process.stdout.write(JSON.stringify({ results, tagger: tagger ? { ...tagger.stats, waits } : null }) + '\n');
} catch (e) {
  await closeTagger(tagger).catch(() => undefined);
  process.stderr.write(`memcached workload: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
}
