import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createTagger, type Tagger } from '../../src/sdk/index.ts';
import { queryDuckdb, readDuckdbRecords } from '../../src/store/duckdb-reader.ts';
import { fetchStatus } from '../../src/system/status-client.ts';
import { killAll, startNats, startUp, stopChild, type Child } from './child.ts';
import { tempDir, waitFor } from './helpers.ts';

const haveNats = spawnSync('nats-server', ['--version']).status === 0;

/** Sends `n` tags named `name` with values from `from`, a batch per event-loop turn, at about `perSec`. */
async function send(tagger: Tagger, name: string, from: number, n: number, perSec = 20_000): Promise<void> {
  const perTurn = 200;
  for (let i = 0; i < n; i += perTurn) {
    for (let j = i; j < Math.min(n, i + perTurn); j++) tagger.tag(name, from + j);
    tagger.flush();
    await new Promise((r) => setTimeout(r, (perTurn / perSec) * 1000));
  }
}

test('kill -9 of the engine or of a driver (child processes, NATS bus): no accepted record lost while both run, none stored twice', { skip: haveNats ? false : 'nats-server (Debian package nats-server) is not installed' }, async () => {
  const tmp = tempDir('st-faults-');
  const children: Child[] = [];
  let tagger: Tagger | null = null;
  try {
    const nats = await startNats(tmp.path('js'));
    const cfg = tmp.path('smarttags.yaml');
    writeFileSync(
      cfg,
      `bus: { kind: nats, servers: ["${nats.url}"], ackWaitSec: 1 }
store: { path: ${tmp.path('st.duckdb')} }
engine: { learnIntervalSec: 3600 }
controller: { journal: ${tmp.path('rules.jsonl')} }
drivers:
  - id: d1
    locales: [app]
    socket: ${tmp.path('d1.sock')}
    collectors: []
http: { port: 0 }
log: { level: info }
`,
    );
    const up = (role: string[]) => {
      const c = startUp(['--config', cfg, ...role.flatMap((r) => ['--role', r])]);
      children.push(c);
      return c;
    };
    let engine = up(['engine']);
    let driver = up(['drivers', 'controller']);
    let engineUrl = await engine.url;
    let driverUrl = await driver.url;
    tagger = createTagger({ locale: 'app', endpoint: tmp.path('d1.sock'), reconnectMs: 50 });
    await waitFor('the tagger connects', () => tagger!.connected);

    // Phase A with both running; the engine is killed -9 during phase B and restarted.
    await send(tagger, 'k', 0, 4000);
    const sendingB = send(tagger, 'k', 4000, 6000);
    await waitFor('the engine took some of phase B', async () => (await fetchStatus(engineUrl)).engine!.tags > 4000);
    engine.proc.kill('SIGKILL');
    await engine.exited;
    await sendingB;
    engine = up(['engine']);
    engineUrl = await engine.url;
    const restartedAt = Date.now();
    await send(tagger, 'k', 10_000, 2000);
    const sent = 12_000;
    await waitFor('the driver forwarded all tags', async () => (await fetchStatus(driverUrl)).drivers[0]!.counters.recordsPublished === sent);

    // Kill -9 the driver; a new one takes over the socket and the tagger reconnects.
    const before = await fetchStatus(driverUrl);
    assert.equal(before.drivers[0]!.counters.dropped, 0);
    driver.proc.kill('SIGKILL');
    await driver.exited;
    driver = up(['drivers', 'controller']);
    driverUrl = await driver.url;
    await waitFor('the tagger reconnects', () => tagger!.connected);
    // Tags sent while no driver listened are dropped by the SDK and counted there; send after reconnecting.
    await send(tagger, 'k', 20_000, 1000);
    await waitFor('the restarted driver forwarded phase D', async () => (await fetchStatus(driverUrl)).drivers[0]!.counters.recordsPublished === 1000);
    await waitFor('the engine has every tag', async () => {
      const s = (await fetchStatus(engineUrl)).engine!;
      return s.driverRestarts === 1 && s.persisted >= 1000;
    });
    // Batches the killed engine had taken without acknowledging come again after bus.ackWaitSec (1 s).
    await waitFor('the redelivery delay has passed', () => Date.now() - restartedAt > 4000, 10_000);
    await tagger.close();
    tagger = null;

    assert.equal(await stopChild(driver), 0);
    assert.equal(await stopChild(engine), 0);
    // Every tag the drivers accepted is in the engine's DuckDB store, each value exactly once or more.
    const store = await readDuckdbRecords(tmp.path('st.duckdb'));
    const k = store.finish().find((s) => s.key.name === 'k')!;
    const values = new Set(k.values);
    const expected = [...Array.from({ length: sent }, (_, i) => i), ...Array.from({ length: 1000 }, (_, i) => 20_000 + i)];
    const missing = expected.filter((v) => !values.has(v));
    const ranges: string[] = [];
    for (let i = 0; i < missing.length; i++) if (i === 0 || missing[i]! !== missing[i - 1]! + 1) ranges.push(`${missing[i]}`); else if (i === missing.length - 1 || missing[i + 1]! !== missing[i]! + 1) ranges[ranges.length - 1] += `-${missing[i]}`;
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} tags lost: ${ranges.join(", ")}; engine log: ${engine.log.slice(-5).join("\n")}`);
    assert.equal(values.size, expected.length);
    // Exactly once: batches redelivered after the crash are recognised by the driver seq committed with the
    // records, so every record sent is stored once (each tag has its own value; time and locale as sent).
    const dup = await queryDuckdb(
      tmp.path('st.duckdb'),
      `SELECT count(*)::INTEGER AS rows, count(DISTINCT (time, locale, name, value))::INTEGER AS distinct_rows,
              count(DISTINCT value)::INTEGER AS values FROM records WHERE name = 'k' AND locale = 'app'`,
    );
    assert.deepEqual(dup, [{ rows: expected.length, distinct_rows: expected.length, values: expected.length }], `duplicates stored: ${JSON.stringify(dup)}`);
  } finally {
    await tagger?.close();
    await killAll();
    tmp.remove();
  }
});
