// Dry run: logs what a rule would do (apply and revert) and changes nothing. Used as the "dry-run"
// action with free parameters, and for any policy (or the whole controller) with dryRun set, where the
// real actuator still validates the parameters and names the target.

import type { Logger } from 'pino';
import { NameError } from '../names.ts';
import type { Actuator, Rule } from '../actuator.ts';

export class DryRunActuator implements Actuator<Record<string, unknown>> {
  readonly name = 'dry-run';
  readonly kernel = false;
  readonly lasting = true;

  constructor(private readonly log: Logger) {}

  validate(params: Record<string, unknown>): Record<string, unknown> {
    let text: string;
    try {
      text = JSON.stringify(params);
    } catch (err) {
      throw new NameError('dry-run', `parameters are not JSON: ${(err as Error).message}`);
    }
    if (text.length > 4096) throw new NameError('dry-run', 'parameters longer than 4096 characters as JSON');
    return JSON.parse(text) as Record<string, unknown>;
  }

  key(params: Record<string, unknown>): string {
    return `dry-run ${JSON.stringify(params)}`;
  }

  describe(params: Record<string, unknown>): string {
    return typeof params.target === 'string' ? params.target : 'nothing (dry run)';
  }

  async apply(rule: Rule<unknown>): Promise<void> {
    this.log.info({ rule: rule.id, action: rule.action, target: rule.target, params: rule.params, expiresAt: rule.expiresAt, tag: rule.tag.name }, 'dry run: would apply');
  }

  async revert(rule: Rule<unknown>): Promise<void> {
    this.log.info({ rule: rule.id, action: rule.action, target: rule.target }, 'dry run: would revert');
  }
}
