// Child process for the crash-recovery test: a controller that applies a pacing rule and a reroute rule
// with long expiries in namespace argv[2], journaling to argv[3], prints "ready" and waits to be killed.

import { InProcessBus } from '../../src/bus/in-process.ts';
import { SUBJECTS, type ActionReply, type ActionRequest } from '../../src/bus/messages.ts';
import { ACTIONS, Controller, PaceActuator, parsePolicies, RerouteActuator } from '../../src/controller/index.ts';
import { signature, tag } from './fixtures.ts';

const [ns, journalPath] = process.argv.slice(2) as [string, string];
const bus = new InProcessBus();
const c = new Controller({
  bus,
  actuators: [new PaceActuator(1e9), new RerouteActuator()],
  policies: parsePolicies(
    [
      { name: 'pace', match: { tag: 'MG' }, action: 'pace', targets: [{ netns: ns, dev: 'v0' }], derive: { bottleneckBps: 100e6 }, expiration: { fixedUs: 600e6, maxUs: 600e6 } },
      { name: 'rr', match: { tag: 'MG' }, action: 'reroute', targets: [{ netns: ns, table: 150, priority: 1500, to: '10.66.0.0/16', dst: '10.66.0.0/16', via: '10.77.0.2' }], expiration: { fixedUs: 600e6, maxUs: 600e6 } },
    ],
    ACTIONS,
  ),
  journalPath,
  limits: { maxRules: 8, maxActionsPerSec: 100 },
});
await c.start();
const reply = await bus.request<ActionRequest, ActionReply>(SUBJECTS.action, { driver: 'd', tag: tag('MG', 'app', 4), signatures: [signature({ tag: 'MG', tagLocale: 'app' })] }, 5000);
process.stdout.write(JSON.stringify({ ready: true, statuses: reply.rules.map((r) => r.status) }) + '\n');
setInterval(() => {}, 1000);
