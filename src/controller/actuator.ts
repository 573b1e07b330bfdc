// The actuator contract: each action (pace, reroute, clamp, delay, hint, dry-run) validates its parameters,
// names what it occupies (for coalescing), applies a rule and reverts it. Kernel actuators journal the
// exact undo commands through the context BEFORE touching the kernel (write-ahead), so a crash at any
// point leaves a journal from which a restart removes whatever was left behind.

import type { Logger } from 'pino';
import type { Command, Tool } from './command.ts';
import type { CommandRunner } from './runner.ts';
import type { SmartRecord } from '../protocol/record.ts';
import type { Hint } from '../bus/messages.ts';

export interface Rule<P = Record<string, unknown>> {
  id: string;
  policy: string;
  action: string;
  /** What the rule occupies (device + class, rule selector, app locale): one live rule per key. */
  key: string;
  /** Where it applies, for people. */
  target: string;
  params: P;
  tag: SmartRecord;
  /** Epoch microseconds. */
  expiresAt: number;
  /** Undo commands recorded by a kernel actuator's apply (in the order to run them). */
  undo: Command[];
}

export interface ApplyContext {
  runner: CommandRunner;
  /** Write-ahead record of how to undo this rule; call before changing the kernel. */
  journal(rule: Rule<unknown>, undo: Command[]): void;
  /** Write-ahead record of a one-time setup (e.g. a root htb) undone at shutdown or crash recovery. */
  setup(key: string, undo: Command[]): void;
  log: Logger;
}

export interface Actuator<P = Record<string, unknown>> {
  readonly name: string;
  /** Whether apply changes the kernel (journaled, counted against the action rate limit). */
  readonly kernel: boolean;
  /** Whether a rule lives until it expires and is reverted (false: delivered once, e.g. a hint). */
  readonly lasting: boolean;
  /** The tools a kernel actuator changes with: the controller starts their batches for its targets' namespaces. */
  readonly tools?: readonly Tool[];
  /** Normalised parameters, or throws a NameError naming the bad field. */
  validate(params: Record<string, unknown>): P;
  key(params: P): string;
  describe(params: P): string;
  /** Applies a lasting rule (one that lives until it expires and is reverted); every lasting actuator has it. */
  apply?(rule: Rule<P>, ctx: ApplyContext): Promise<void>;
  /**
   * What an actuator that is not lasting does instead of apply: delivers its decision (the hint) at once and returns
   * it, so the controller answers the Tag without a promise and builds no rule (no id, key or lock) for it.
   */
  deliver?(params: P, tag: SmartRecord, expiresAt: number): Hint;
  /** Changes a live rule's parameters in place (coalescing with different strength); absent = extend only. */
  update?(rule: Rule<P>, params: P, ctx: ApplyContext): Promise<void>;
  /** Undoes a lasting rule; every lasting actuator has it. */
  revert?(rule: Rule<P>, ctx: ApplyContext): Promise<void>;
  /** Checks once at controller start what the action needs (e.g. netem), logging what is missing. */
  init?(ctx: ApplyContext): Promise<void>;
  /** Forgets per-device state (after the controller undid setups). */
  close?(): Promise<void>;
}

/** Runs undo commands in order, continuing past failures; returns the failures' messages. */
export async function runUndo(runner: CommandRunner, undo: Command[]): Promise<string[]> {
  const errors: string[] = [];
  for (const c of undo) {
    try {
      await runner.change(c);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return errors;
}
