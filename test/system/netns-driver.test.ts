import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/system/config.ts';
import { createLogger } from '../../src/system/logger.ts';
import { startSystem } from '../../src/system/system.ts';
import { haveIproute, makeNetns, removeNetns } from '../controller/fixtures.ts';
import { scrape, tempDir, waitFor } from './helpers.ts';

/** 400 datagrams of 1200 bytes at once to 10.77.0.9 (run inside the namespace). */
const SEND_BURST = `
const s = require('node:dgram').createSocket('udp4');
let left = 400;
for (let i = 0; i < 400; i++) s.send(Buffer.alloc(1200, 120), 9, '10.77.0.9', () => { if (--left === 0) s.close(); });
`;

const SDK = fileURLToPath(new URL('../../src/sdk/index.ts', import.meta.url));

/** An app inside the namespace: 50 tags through the SDK to the driver's Unix socket (a path in the shared filesystem). */
function appScript(socket: string): string {
  return `import { createTagger } from ${JSON.stringify(SDK)};
const t = createTagger({ locale: 'nsapp', endpoint: ${JSON.stringify(socket)} });
const deadline = Date.now() + 10000;
while (!t.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
for (let i = 0; i < 50; i++) t.tag('req', i);
// The SDK's handles are unref'd (it never holds an app open), so keep this script alive while close() flushes.
const keepAlive = setInterval(() => undefined, 1000);
await t.close();
clearInterval(keepAlive);
if (t.stats.sent !== 50) throw new Error('sent ' + t.stats.sent);`;
}

test('a driver whose collectors run in a network namespace reports its qdisc drops to the engine; an app in the namespace reaches it through the Unix socket', { skip: haveIproute() ? false : 'ip/tc (Debian package iproute2) are not installed', timeout: 30_000 }, async () => {
  const tmp = tempDir('st-nsdrv-');
  const namespaces: string[] = [];
  try {
    const ns = makeNetns(namespaces);
    // A slow, shallow queue on v0 and a neighbour that needs no ARP, so a burst overflows the qdisc.
    execFileSync('tc', ['-n', ns, 'qdisc', 'replace', 'dev', 'v0', 'root', 'tbf', 'rate', '1mbit', 'burst', '4kb', 'limit', '6000']);
    execFileSync('ip', ['-n', ns, 'neigh', 'replace', '10.77.0.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'v0']);
    const sys = await startSystem(
      parseConfig(
        `store: { path: ":memory:" }
engine: { learnIntervalSec: 3600 }
controller: { journal: ${tmp.path('rules.jsonl')} }
drivers:
  - id: sw
    namespace: ${ns}
    socket: ${tmp.path('sw.sock')}
    collectors:
      - { kind: qdisc, devices: [v0], periodMs: 5 }
http: { port: 0 }
`,
        'ns.yaml',
      ),
      { logger: createLogger('silent') },
    );
    try {
      assert.deepEqual(sys.config.drivers[0]!.locales, [ns]);
      execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', SEND_BURST]);
      const tcDrops = () => (JSON.parse(execFileSync('tc', ['-n', ns, '-s', '-j', 'qdisc', 'show', 'dev', 'v0'], { encoding: 'utf8' })) as { drops: number }[])[0]!.drops;
      assert.ok(tcDrops() > 0, 'the burst overflowed the queue');
      await waitFor('the engine counted every drop', () => {
        const series = sys.engine!.stats.events;
        return series > 0 && sys.drivers[0]!.counters.eventsReceived === series;
      });
      // The events carry the drop counts: their values add up to what tc reports.
      const locales = await sys.store!.query(`SELECT DISTINCT locale FROM records WHERE name = 'qdisc_drop'`);
      assert.deepEqual(locales, [{ locale: `${ns}/v0` }]);
      await waitFor('all drops reported', async () => Number((await sys.store!.query(`SELECT sum(value) AS d FROM records WHERE name = 'qdisc_drop'`))[0]!.d) === tcDrops());
      try {
        execFileSync('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', '--input-type=module', '-e', appScript(tmp.path('sw.sock'))], {
          stdio: ['ignore', 'ignore', 'pipe'],
          encoding: 'utf8',
          cwd: fileURLToPath(new URL('../..', import.meta.url)),
        });
      } catch (err) {
        assert.fail(`the app in the namespace failed (exit ${(err as { status?: number }).status}): ${(err as { stderr?: string }).stderr}`);
      }
      await waitFor('the app tags at the engine', () => sys.engine!.stats.tags === 50);
      assert.deepEqual(await sys.store!.query(`SELECT DISTINCT locale, name FROM records WHERE kind = 'tag'`), [{ locale: 'nsapp', name: 'req' }]);
      const m = await scrape(sys.http!.url);
      assert.ok(m('smarttags_events_received_total', { component: 'engine' }) >= 1);
    } finally {
      await sys.stop();
    }
  } finally {
    removeNetns(namespaces);
    tmp.remove();
  }
});
