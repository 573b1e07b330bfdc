// RFC 4180 fields of one CSV line: splitting (quoted fields may hold commas and doubled quotes) and quoting.

/** The fields of `line` (without its line break), or a reason the quoting is malformed. */
export function splitCsvLine(line: string): string[] | { reason: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = line.indexOf('"', from);
        if (q < 0) return { reason: `unterminated quoted field ${fields.length + 1}` };
        value += line.slice(from, q);
        if (line.charCodeAt(q + 1) === 34) {
          value += '"';
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === line.length) return fields;
      if (line.charCodeAt(i) !== 44) return { reason: `text after the closing quote of field ${fields.length}` };
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      const value = line.slice(i, end);
      if (value.includes('"')) return { reason: `quote inside unquoted field ${fields.length + 1}` };
      fields.push(value);
      if (comma < 0) return fields;
      i = comma + 1;
    }
  }
}

/** `s` as one CSV field: quoted (with doubled quotes) when it holds a comma, quote, CR or LF. */
export function quoteCsvField(s: string): string {
  if (!/[",\r\n]/.test(s)) return s;
  return `"${s.replace(/"/g, '""')}"`;
}
