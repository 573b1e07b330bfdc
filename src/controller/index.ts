// The smart network controller's public API: the Controller, its configuration, policies, the standard
// actuators and the command runner they share.

import type { Logger } from 'pino';
import type { Bus } from '../bus/bus.ts';
import type { Actuator } from './actuator.ts';
import { ClampActuator } from './actuators/clamp.ts';
import { DelayActuator } from './actuators/delay.ts';
import { HintActuator } from './actuators/hint.ts';
import { PaceActuator } from './actuators/pace.ts';
import { RerouteActuator } from './actuators/reroute.ts';
import type { ControllerConfig } from './config.ts';
import { Controller } from './controller.ts';
import type { CommandRunner } from './runner.ts';

export { Controller, type ControllerOptions, type ControllerLimits, type ControllerCounters, type RecoveryReport, type LocaleMap } from './controller.ts';
export { parseControllerConfig, ACTIONS, type ControllerConfig } from './config.ts';
export { parsePolicies, PolicyError, globMatch, type Policy, type Target, type SignatureMatch, type DeriveSpec, type ExpirationSpec } from './policy.ts';
export { eventProbabilityAt, derivedParams, expiresAt, responders } from './derive.ts';
export { type Actuator, type ApplyContext, type Rule } from './actuator.ts';
export { PaceActuator, type PaceParams } from './actuators/pace.ts';
export { RerouteActuator, type RerouteParams } from './actuators/reroute.ts';
export { ClampActuator, type ClampParams } from './actuators/clamp.ts';
export { DelayActuator, detectNetem, type DelayParams, type NetemAvailability } from './actuators/delay.ts';
export { HintActuator, type HintParams } from './actuators/hint.ts';
export { DryRunActuator } from './actuators/dry-run.ts';
export { SystemRunner, type CommandRunner } from './runner.ts';
export { type Command } from './command.ts';
export { NameError } from './names.ts';

/** The standard actuators (dry-run is built into the Controller). */
export function standardActuators(bus: Bus, opts: { linkBps?: number } = {}): Actuator<any>[] {
  return [new PaceActuator(opts.linkBps), new RerouteActuator(), new ClampActuator(), new DelayActuator(), new HintActuator(bus)];
}

/** A Controller from a validated `controller:` config section. Call start() on it. */
export function createController(bus: Bus, config: ControllerConfig, opts: { log?: Logger; runner?: CommandRunner; clock?: () => number } = {}): Controller {
  return new Controller({
    bus,
    actuators: standardActuators(bus, { linkBps: config.linkBps }),
    policies: config.policies,
    journalPath: config.journalPath,
    limits: config.limits,
    locales: config.locales,
    dryRun: config.dryRun,
    log: opts.log,
    runner: opts.runner,
    clock: opts.clock,
  });
}
