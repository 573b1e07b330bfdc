// What travels on the SmartTags bus between drivers, engine and controller: subjects and message shapes.
// The in-process bus and the NATS JetStream bus carry exactly these.

import type { SmartRecord } from '../protocol/record.ts';
import type { Signature, SignaturesDoc } from '../engine/signature.ts';

export const SUBJECTS = {
  /** Driver -> engine: Tags without a local signature and all Events (identification phase). */
  records: 'smarttags.records',
  /** Driver -> controller: a Tag that has signatures in the driver's database (action phase); request/reply. */
  action: 'smarttags.action',
  /** Engine -> drivers: the current signatures, published after each re-learn that changed them. */
  signatures: 'smarttags.signatures',
  /** Anyone -> engine: request the signatures in force (a SignaturesUpdate, or null before the first learn). */
  signaturesCurrent: 'smarttags.signatures.current',
  /** Controller -> driver of `locale`: an application hint to deliver through the SDK. */
  hint: (locale: string) => `smarttags.hint.${encodeSubjectToken(locale)}`,
} as const;

export interface RecordBatch {
  /** Id of the driver that collected these records. */
  driver: string;
  /** Per-driver sequence number, so the engine can detect gaps and duplicates. */
  seq: number;
  /**
   * Random id of this start of the driver: seqs count within one boot, so a redelivered seq 1 is a duplicate
   * and a new boot is a driver that started over. Without it, seq 1 after higher seqs means a restart.
   */
  boot?: string;
  records: SmartRecord[];
}

export interface ActionRequest {
  driver: string;
  tag: SmartRecord;
  /** The signatures of the driver's database that this Tag triggers. */
  signatures: Signature[];
}

/** A rule in place (or refused) as the controller decided it. */
export interface RuleDecision {
  id: string;
  action: string;
  /** Where the action applies (locale / device / namespace, as the actuator names it). */
  target: string;
  params: Record<string, unknown>;
  /** Epoch microseconds at which the rule is removed. */
  expiresAt: number;
  status: 'applied' | 'refused' | 'dry-run';
  reason?: string;
}

export interface ActionReply {
  tag: SmartRecord;
  rules: RuleDecision[];
  /** Per-application hints (e.g. a per-destination stagger), also sent on SUBJECTS.hint. */
  hints: Hint[];
  /**
   * The decision stands for this tag name at every value the act-above table says to act on, until the
   * signatures change: only hints, with parameters that depend neither on the Tag's value nor on its time.
   * The SDK then answers later waits on this tag name itself (no round trip).
   */
  standing?: boolean;
}

export interface Hint {
  locale: string;
  tag: string;
  action: string;
  params: Record<string, unknown>;
  expiresAt: number;
}

export interface SignaturesUpdate {
  generation: number;
  doc: SignaturesDoc;
}

/** NATS subject tokens may not contain '.', '*', '>' or whitespace; locales can. */
export function encodeSubjectToken(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
