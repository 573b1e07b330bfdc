import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { run as learn } from '../../src/cli/commands/learn.ts';
import type { SignaturesDoc } from '../../src/engine/signature.ts';
import type { SmartRecord } from '../../src/protocol/record.ts';
import { DuckdbStore } from '../../src/store/duckdb-store.ts';
import { fixture } from '../engine/scenario-fixture.ts';
import { tempDir } from '../system/helpers.ts';

test('smarttags learn reads the DuckDB store that smarttags up writes', async () => {
  const tmp = tempDir('st-learn-db-');
  try {
    const db = tmp.path('st.duckdb');
    const store = await DuckdbStore.open(db);
    for (const s of fixture({ seed: 5, durationS: 300, causal: true }).finish()) {
      const recs: SmartRecord[] = [];
      for (let i = 0; i < s.times.length; i++) recs.push({ time: s.times[i]!, locale: s.key.locale, kind: s.key.kind, name: s.key.name, value: s.values[i]! });
      store.appendRecords(recs);
    }
    await store.close();
    const out = tmp.path('sig.json');
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    let code: number;
    try {
      code = await learn([`duckdb:${db}`, '--out', out]);
    } finally {
      process.stderr.write = stderr;
    }
    assert.equal(code, 0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as SignaturesDoc;
    assert.ok(doc.signatures.some((s) => s.tag.name === 'MG' && s.event.locale === 'sw1:p1'));
  } finally {
    tmp.remove();
  }
});
