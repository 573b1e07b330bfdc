import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, defaultConfig } from '../../src/system/config.ts';
import { ConfigError } from '../../src/system/yaml-fields.ts';

function errorOf(text: string): ConfigError {
  try {
    parseConfig(text, 'st.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('config was accepted');
}

test('the embedded default runs with no file: in-process bus, DuckDB file, one host driver', () => {
  const c = defaultConfig();
  assert.equal(c.bus.kind, 'in-process');
  assert.equal(c.store.path, 'smarttags.duckdb');
  assert.equal(c.drivers.length, 1);
  assert.equal(c.drivers[0]!.id, 'local');
  assert.equal(c.engine.learnIntervalMs, 10_000);
  assert.equal(c.http.port, 9464);
  assert.deepEqual(c.store, { path: 'smarttags.duckdb', maxQueuedRecords: 1_000_000, commitIntervalMs: 50 });
});

test('the store queue bound and commit period are read and checked', () => {
  const c = parseConfig('store:\n  path: a.duckdb\n  maxQueuedRecords: 200000\n  commitIntervalMs: 5\n', 'st.yaml');
  assert.deepEqual(c.store, { path: 'a.duckdb', maxQueuedRecords: 200_000, commitIntervalMs: 5 });

  let e = errorOf('store:\n  path: a.duckdb\n  maxQueuedRecords: 1000\n');
  assert.equal(e.line, 3);
  assert.equal(e.field, 'store.maxQueuedRecords');
  assert.match(e.message, /^st\.yaml:3:\d+: store\.maxQueuedRecords: must be >= 50000, got 1000$/);

  e = errorOf('store: { maxQueuedRecords: 100000.5 }\n');
  assert.match(e.message, /store\.maxQueuedRecords: must be an integer, got 100000\.5/);

  e = errorOf('store:\n  commitIntervalMs: "50ms"\n');
  assert.equal(e.line, 2);
  assert.equal(e.field, 'store.commitIntervalMs');
  assert.match(e.message, /must be a number, got "50ms"/);

  e = errorOf('store:\n  commitIntervalMs: 0\n');
  assert.match(e.message, /store\.commitIntervalMs: must be >= 1, got 0/);

  e = errorOf('store:\n  commitMs: 10\n');
  assert.equal(e.field, 'store.commitMs');
  assert.match(e.message, /unknown field/);
});

test('a full config is read with units converted', () => {
  const c = parseConfig(
    [
      'store: { path: ":memory:" }',
      'bus:',
      '  kind: nats',
      '  servers: [nats://127.0.0.1:4333]',
      'engine:',
      '  learnIntervalSec: 0.5',
      '  windowSec: 60',
      '  learn: { minHits: 3, maxHops: 3 }',
      'controller: { dryRun: true }',
      'drivers:',
      '  - id: h1',
      '    locales: [h1, app1]',
      '    namespace: st-ns1',
      '    statsdPort: 8125',
      '    collectors:',
      '      - { kind: qdisc, devices: [veth0], periodMs: 1 }',
      'http: { port: 0 }',
      'log: { level: warn }',
    ].join('\n'),
    'st.yaml',
  );
  assert.deepEqual(c.bus, { kind: 'nats', servers: ['nats://127.0.0.1:4333'], ackWaitMs: 5000 });
  assert.equal(c.engine.learnIntervalMs, 500);
  assert.equal(c.engine.windowMs, 60_000);
  assert.deepEqual(c.engine.learn, { minHits: 3, maxHops: 3 });
  assert.equal(c.controller.dryRun, true);
  assert.deepEqual(c.controller.policies, []);
  assert.equal(c.drivers[0]!.namespace, 'st-ns1');
  assert.deepEqual(c.drivers[0]!.collectors, [{ kind: 'qdisc', options: { devices: ['veth0'], periodMs: 1 } }]);
  assert.equal(c.log.level, 'warn');
});

test('config errors name the file, line, column and field', () => {
  let e = errorOf('engine:\n  learnIntervalSec: -1\n');
  assert.equal(e.line, 2);
  assert.equal(e.field, 'engine.learnIntervalSec');
  assert.match(e.message, /^st\.yaml:2:\d+: engine\.learnIntervalSec: must be >= 0\.1, got -1$/);

  e = errorOf('drivers:\n  - id: a\n  - id: b\n    namespace: "bad name"\n');
  assert.equal(e.line, 4);
  assert.equal(e.field, 'drivers[1].namespace');

  e = errorOf('http:\n  port: 80\n  hots: x\n');
  assert.equal(e.line, 3);
  assert.equal(e.field, 'http.hots');
  assert.match(e.message, /unknown field/);

  e = errorOf('bus:\n  kind: zmq\n');
  assert.match(e.message, /bus\.kind: must be one of in-process, nats, got "zmq"/);

  e = errorOf('drivers:\n  - id: a\n  - id: a\n');
  assert.equal(e.line, 3);
  assert.match(e.message, /duplicate driver id/);

  e = errorOf('engine: [1, 2]\n');
  assert.equal(e.field, 'engine');
  assert.match(e.message, /must be a mapping/);

  e = errorOf('drivers:\n  - id: a\n    collectors:\n      - kind: qdisc\n        periodMs: 0\n');
  assert.equal(e.line, 5);
  assert.equal(e.field, 'drivers[0].collectors[0].periodMs');

  e = errorOf('drivers:\n  - id: a\n    collectors:\n      - kind: qdisc\n        devices: [p1]\n        queues: [root, "1:x"]\n');
  assert.equal(e.line, 6);
  assert.equal(e.field, 'drivers[0].collectors[0].queues[1]');
  assert.match(e.message, /"1:x" is not root, leaves, a qdisc handle such as 10: or a class id such as 1:10$/);

  e = errorOf('controller:\n  maxRules: 10\n  policies:\n    - name: p\n      action: teleport\n');
  assert.equal(e.line, 5);
  assert.equal(e.field, 'controller.policies[0].action');
  assert.match(e.message, /unknown action "teleport"/);

  e = errorOf('controller:\n  policies:\n    - action: hint\n      match: { tag: MG, minProb: 0.5 }\n');
  assert.equal(e.line, 4);
  assert.equal(e.field, 'controller.policies[0].match.minProb');

  e = errorOf('engine:\n  learn:\n    fdr: 3\n');
  assert.equal(e.line, 3);
  assert.equal(e.field, 'engine.learn.fdr');
  assert.match(e.message, /must be in \(0, 1\), got 3/);

  e = errorOf('engine:\n  learn: { fdrr: 0.1 }\n');
  assert.equal(e.field, 'engine.learn.fdrr');
  assert.match(e.message, /unknown learning parameter/);

  e = errorOf('engine:\n  topology: /nonexistent/topo.json\n');
  assert.equal(e.line, 2);
  assert.equal(e.field, 'engine.topology');

  e = errorOf('store:\n  path: x\n   bad: indent\n');
  assert.match(e.message, /YAML syntax/);
  assert.ok(e.line >= 2);
});
