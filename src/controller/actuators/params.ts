// Shared parameter checking for actuators: only known keys, each through its validator.

import { NameError } from '../names.ts';

export type Checkers = Record<string, (field: string, v: unknown) => unknown>;

/** Checks that `params` has only keys of `known` and the `required` ones; returns the validated values. */
export function checkParams(action: string, params: Record<string, unknown>, known: Checkers, required: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    const check = known[k];
    if (!check) throw new NameError(`${action}.${k}`, `unknown parameter (known: ${Object.keys(known).join(', ')})`);
    out[k] = check(`${action}.${k}`, v);
  }
  for (const k of required) if (out[k] === undefined) throw new NameError(`${action}.${k}`, 'missing');
  return out;
}
