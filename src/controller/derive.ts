// Rule parameters derived from the signature and the Tag, so users need not tune by hand:
//   expiration   expiresAt = tag.time + window.end + margin, margin = max(1 ms, (window.end - window.start)/4)
//                (policy: expiration.marginUs, or expiration.fixedUs counted from tag.time), capped at maxUs; a byte
//                window (derive.bufferBytes) with a bottleneckBps lives at least the Tag's predicted transfer,
//                v * 8 / bottleneckBps (it shapes that transfer, so a slow control path must not expire it first);
//   likelihood   p(v) = logistic extent 1/(1+exp(-(a+b v))) at the Tag's value v, else the extent bin holding v,
//                else the signature's probability; the policy skips acting when p(v) < minEventProbability;
//   responders   N = round(v) (the Tag's value is the fan-out) or a fixed derive.responders;
//   pacing rate  rate = bottleneckBps / N  (each sender gets its fair share of the bottleneck);
//   stagger slot slotUs = ceil(bytesPerResponder * 8 / bottleneckBps * 1e6) (one response's time at line rate);
//   delay        delayUs = jitterUs = slotUs * (N - 1) / 2 (netem: senders spread over [0, (N-1) slots]);
//   byte window  windowBytes = floor(bufferBytes * 1448/1514) (the response payload the bottleneck's buffer holds
//                as full-size Ethernet frames), requestBytes = floor(windowBytes / 3) (three requests in flight: while
//                one is asked for, two thirds of the window keep the port busy); a query that fits is not slowed;
//   cwnd clamp   cwnd = max(1, floor(bufferBytes / 1514 / N)) segments per responder connection (the full-size
//                frames the bottleneck's buffer holds, shared by the N responders).

import { eventProbabilityAt } from '../engine/extent-eval.ts';
import type { Signature } from '../engine/signature.ts';
import type { SmartRecord } from '../protocol/record.ts';
import type { Policy } from './policy.ts';

export { eventProbabilityAt };

/** The signatures of `sigs` under which the event is likely enough at this Tag's value to act. */
export function likelySignatures(policy: Policy, sigs: Signature[], tag: SmartRecord): Signature[] {
  return sigs.filter((s) => eventProbabilityAt(s, tag.value) >= policy.minEventProbability);
}

/** When the rule is removed, epoch microseconds. */
export function expiresAt(policy: Policy, sigs: Signature[], tag: SmartRecord): number {
  const e = policy.expiration;
  let life: number;
  if (e.fixedUs !== undefined) life = e.fixedUs;
  else {
    life = 0;
    for (const s of sigs) {
      const margin = e.marginUs ?? Math.max(1000, (s.window.end - s.window.start) / 4);
      life = Math.max(life, s.window.end + margin);
    }
  }
  const d = policy.derive;
  if (e.fixedUs === undefined && d.bufferBytes !== undefined && d.bottleneckBps !== undefined) life = Math.max(life, ((tag.value * 8) / d.bottleneckBps) * 1e6);
  return tag.time + Math.round(Math.min(life, e.maxUs));
}

/** Payload share of a full-size frame: 1448 B of TCP payload (timestamps on) in 1514 B counted by a byte fifo. */
const FRAME_BYTES = 1514;
const PAYLOAD_SHARE = 1448 / FRAME_BYTES;

/** The byte window hint: how many response bytes may be outstanding so they all fit in the bottleneck's buffer. */
export function byteWindow(bufferBytes: number): { windowBytes: number; requestBytes: number } {
  const windowBytes = Math.max(1, Math.floor(bufferBytes * PAYLOAD_SHARE));
  return { windowBytes, requestBytes: Math.max(1, Math.floor(windowBytes / 3)) };
}

/** Segments in flight per responder connection so that N responders' full-size frames fit the buffer. */
export function clampWindow(bufferBytes: number, n: number): number {
  return Math.max(1, Math.floor(bufferBytes / FRAME_BYTES / n));
}

/**
 * Whether this policy's action is a hint whose parameters depend neither on the Tag's value nor on its time
 * (a byte window from the buffer, a stagger with a fixed responder count, or explicit params), so its decision
 * stands for every Tag of the name the signature acts on.
 */
export function standingHint(policy: Policy): boolean {
  return policy.action === 'hint' && (policy.derive.bufferBytes !== undefined || policy.derive.responders !== 'tag-value');
}

export function responders(policy: Policy, tag: SmartRecord): number {
  const r = policy.derive.responders;
  return r === 'tag-value' ? Math.max(1, Math.round(tag.value)) : r;
}

/** The parameters the signature and Tag imply for this policy's action (explicit params override them). */
export function derivedParams(policy: Policy, tag: SmartRecord): Record<string, unknown> {
  const d = policy.derive;
  const n = responders(policy, tag);
  const slotUs = d.bottleneckBps !== undefined && d.bytesPerResponder !== undefined ? Math.ceil(((d.bytesPerResponder * 8) / d.bottleneckBps) * 1e6) : undefined;
  switch (policy.action) {
    case 'pace':
      return d.bottleneckBps !== undefined ? { rate: Math.max(8, Math.floor(d.bottleneckBps / n)) } : {};
    case 'clamp':
      return d.bufferBytes !== undefined ? { cwnd: clampWindow(d.bufferBytes, n) } : {};
    case 'delay':
      return slotUs !== undefined ? { delayUs: Math.round((slotUs * (n - 1)) / 2), jitterUs: Math.round((slotUs * (n - 1)) / 2) } : {};
    case 'hint':
      if (d.bufferBytes !== undefined) return { kind: 'window', ...byteWindow(d.bufferBytes) };
      return slotUs !== undefined ? { kind: 'stagger', slotUs, responders: n } : { responders: n };
    default:
      return {};
  }
}
