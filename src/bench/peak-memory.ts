// Memory figures of the current process from /proc/self/status: peak resident set (VmHWM) and current
// resident set (VmRSS), in bytes. Linux only; elsewhere both are null.

import { readFileSync } from 'node:fs';

export interface MemoryFigures {
  peakRssBytes: number | null;
  rssBytes: number | null;
}

function field(status: string, name: string): number | null {
  const m = status.match(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm'));
  return m ? Number(m[1]) * 1024 : null;
}

export function memoryFigures(): MemoryFigures {
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return { peakRssBytes: null, rssBytes: null };
  }
  return { peakRssBytes: field(status, 'VmHWM'), rssBytes: field(status, 'VmRSS') };
}
