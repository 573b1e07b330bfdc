// Allocation-free number parsing straight from bytes, shared by the CSV and JSON Lines parsers: times in a
// unit to whole microseconds (half up, exact beyond 2^53 digits), plain decimals for values.

export const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
export const DOT = 46;
const MINUS = 45;
/** Digits are accumulated while the mantissa is below this, so m * 10 + 9 stays an exact integer. */
const MANTISSA_LIMIT = 9e14;

/** Where the last number parsed by this module ended (index of the first byte after it). */
export const scanEnd = { at: 0 };

/**
 * Whole microseconds from the decimal at buf[start] (digits with an optional point) in a unit of
 * 10^unitExponent microseconds; -1 when there is none or it is too large. Sets scanEnd.at.
 */
export function decimalTimeAt(buf: Uint8Array, start: number, unitExponent: number): number {
  let m = 0;
  let digits = 0;
  let fracLen = 0;
  let dropped = 0;
  let firstDropped = -1;
  let point = false;
  let p = start;
  for (;;) {
    const c = buf[p];
    if (c >= 48 && c <= 57) {
      if (m < MANTISSA_LIMIT) {
        m = m * 10 + (c - 48);
        if (point) fracLen++;
      } else {
        if (!point) dropped++;
        if (firstDropped < 0) firstDropped = c - 48;
      }
      digits++;
      p++;
    } else if (c === DOT && !point) {
      point = true;
      p++;
    } else break;
  }
  scanEnd.at = p;
  if (digits === 0) return -1;
  const k = unitExponent + dropped - fracLen;
  let time: number;
  if (k === 0) time = firstDropped >= 5 ? m + 1 : m;
  else if (k < 0) time = Math.round(m / POW10[-k]);
  else if (firstDropped < 0 && k < POW10.length) time = m * POW10[k];
  else return -1;
  return time > Number.MAX_SAFE_INTEGER ? -1 : time;
}

/**
 * The plain decimal at buf[start] (optional minus, digits, optional point with digits; at most 15 digits),
 * or NaN when the text is not of that form (exponents, longer numbers: parse them from text). Sets scanEnd.at.
 */
export function plainDecimalAt(buf: Uint8Array, start: number): number {
  let p = start;
  const negative = buf[p] === MINUS;
  if (negative) p++;
  const digitsStart = p;
  let m = 0;
  let d = buf[p] - 48;
  while (d >= 0 && d <= 9) {
    m = m * 10 + d;
    d = buf[++p] - 48;
  }
  let digits = p - digitsStart;
  let frac = 0;
  if (d === DOT - 48) {
    const fracStart = ++p;
    d = buf[p] - 48;
    while (d >= 0 && d <= 9) {
      m = m * 10 + d;
      d = buf[++p] - 48;
    }
    frac = p - fracStart;
    if (frac === 0) digits = 0;
    digits += frac;
  }
  scanEnd.at = p;
  if (digits === 0 || digits > 15) return NaN;
  const v = frac === 0 ? m : m / POW10[frac];
  return negative ? -v : v;
}
