// Time units accepted in record files and their power-of-ten distance to the internal microseconds.

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

export const TIME_UNITS: readonly TimeUnit[] = ['s', 'ms', 'us', 'ns'];

/** Microseconds per unit as a power of ten: s 6, ms 3, us 0, ns -3. */
export function timeUnitExponent(unit: TimeUnit): number {
  switch (unit) {
    case 's':
      return 6;
    case 'ms':
      return 3;
    case 'us':
      return 0;
    case 'ns':
      return -3;
  }
}

export function isTimeUnit(s: string): s is TimeUnit {
  return (TIME_UNITS as readonly string[]).includes(s);
}

/** The unit named by `s`, or an error naming the accepted ones. */
export function parseTimeUnit(s: string): TimeUnit {
  if (!isTimeUnit(s)) throw new Error(`time unit must be one of ${TIME_UNITS.join(', ')}, got ${JSON.stringify(s)}`);
  return s;
}
