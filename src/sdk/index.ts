// The SmartTags SDK: what an application imports to emit Tags (zero runtime dependencies).

export { createTagger, type Tagger, type TaggerOptions, type TaggerStats, type WaitResult } from './tagger.ts';
export { DEFAULT_SOCKET_PATH, parseEndpoint, type Endpoint } from './endpoint.ts';
export { nowMicros } from './clock.ts';
export type { WireActionReply as ActionReply, WireHint as Hint, WireRuleDecision as RuleDecision } from '../protocol/wire.ts';
