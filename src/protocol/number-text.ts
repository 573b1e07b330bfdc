// Exact parsing of record numbers from text (the careful path behind the byte-level fast path):
// times in a unit to integer microseconds (round half up), values as finite decimals.

const DECIMAL = /^(\d*)(?:\.(\d*))?$/;
const SCIENTIFIC = /^(?:\d+\.?\d*|\.\d+)[eE][+-]?\d+$/;
const VALUE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export type Parsed = { value: number; reason?: undefined } | { value?: undefined; reason: string };

/** Integer microseconds from a non-negative decimal `text` in a unit that is 10^unitExponent microseconds. */
export function parseTimeText(text: string, unitExponent: number): Parsed {
  const m = DECIMAL.exec(text);
  if (m && (m[1]!.length > 0 || (m[2] ?? '').length > 0)) {
    const intDigits = m[1]!;
    const fracDigits = m[2] ?? '';
    const mantissa = BigInt(intDigits + fracDigits || '0');
    const k = unitExponent - fracDigits.length;
    let us: bigint;
    if (k >= 0) us = mantissa * 10n ** BigInt(k);
    else {
      const d = 10n ** BigInt(-k);
      us = (mantissa + d / 2n) / d;
    }
    if (us > BigInt(Number.MAX_SAFE_INTEGER)) return { reason: `too large: ${JSON.stringify(text)}` };
    return { value: Number(us) };
  }
  if (SCIENTIFIC.test(text)) {
    const us = Math.round(Number(text) * 10 ** unitExponent);
    if (!Number.isSafeInteger(us)) return { reason: `too large: ${JSON.stringify(text)}` };
    return { value: us };
  }
  if (text.startsWith('-') && VALUE.test(text)) return { reason: `negative: ${JSON.stringify(text)}` };
  return { reason: `not a number: ${JSON.stringify(text)}` };
}

/** A finite decimal value (optional sign, fraction, exponent); no hex, no whitespace, no Infinity. */
export function parseValueText(text: string): Parsed {
  if (!VALUE.test(text)) return { reason: `not a number: ${JSON.stringify(text)}` };
  const v = Number(text);
  if (!Number.isFinite(v)) return { reason: `not a finite number: ${JSON.stringify(text)}` };
  return { value: v };
}
