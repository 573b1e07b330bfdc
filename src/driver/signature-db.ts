// The driver's local signature database: the signatures whose Tag locale concerns this driver (one of its
// locales, a `prefix*` pattern of them, a locale its connected apps announced, or "*" pooled), indexed by
// (locale, tag name) for the Tag Monitor.

import type { Signature } from '../engine/signature.ts';
import type { SignaturesUpdate } from '../bus/messages.ts';

export class SignatureDb {
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  private readonly matchAll: boolean;
  private last: SignaturesUpdate | null = null;
  /** Locale -> tag name -> signatures (two lookups, no key string built per Tag). */
  private byLocale = new Map<string, Map<string, Signature[]>>();
  private pooled = new Map<string, Signature[]>();
  private count = 0;
  generation = -1;

  /** `locales`: exact locales, `prefix*` patterns, or "*" for every locale. */
  constructor(locales: readonly string[]) {
    for (const l of locales) {
      if (l.endsWith('*')) this.prefixes.push(l.slice(0, -1));
      else this.exact.add(l);
    }
    this.matchAll = this.prefixes.includes('');
  }

  /** Whether a Tag locale is one this driver serves. */
  concerns(locale: string): boolean {
    if (locale === '*' || this.matchAll || this.exact.has(locale)) return true;
    return this.prefixes.some((p) => locale.startsWith(p));
  }

  /** Adds a locale (an app announced it); re-selects from the latest update when it was not covered. */
  addLocale(locale: string): void {
    if (this.concerns(locale)) return;
    this.exact.add(locale);
    if (this.last) this.select(this.last);
  }

  /** Replaces the content with the concerning signatures of a newer generation; older ones are ignored. */
  update(u: SignaturesUpdate): boolean {
    if (u.generation <= this.generation) return false;
    this.last = u;
    this.select(u);
    return true;
  }

  private select(u: SignaturesUpdate): void {
    const byLocale = new Map<string, Map<string, Signature[]>>();
    const pooled = new Map<string, Signature[]>();
    let count = 0;
    for (const s of u.doc.signatures) {
      if (!this.concerns(s.tag.locale)) continue;
      let names = pooled;
      if (s.tag.locale !== '*') {
        names = byLocale.get(s.tag.locale) ?? new Map<string, Signature[]>();
        byLocale.set(s.tag.locale, names);
      }
      const list = names.get(s.tag.name);
      if (list) list.push(s);
      else names.set(s.tag.name, [s]);
      count++;
    }
    this.byLocale = byLocale;
    this.pooled = pooled;
    this.count = count;
    this.generation = u.generation;
  }

  /** The signatures a Tag of this name at this locale triggers (locale-specific first, then pooled). */
  lookup(locale: string, name: string): Signature[] | undefined {
    const own = this.byLocale.get(locale)?.get(name);
    const pooled = this.pooled.size ? this.pooled.get(name) : undefined;
    if (own && pooled) return [...own, ...pooled];
    return own ?? pooled;
  }

  /** The tag names with signatures at this locale (locale-specific and pooled). */
  tagNames(locale: string): Set<string> {
    const names = new Set(this.pooled.keys());
    for (const n of this.byLocale.get(locale)?.keys() ?? []) names.add(n);
    return names;
  }

  get size(): number {
    return this.count;
  }
}
