// The SmartTags clock: integer microseconds since the Unix epoch from the monotonic performance clock,
// cheap enough for the SDK's hot path and shared with the driver so Tags and Events compare.

const origin = performance.timeOrigin;

export function nowMicros(): number {
  return Math.floor((origin + performance.now()) * 1000);
}
