// Typed reads of one worker's attributes: mod_jk's conversion, plus a warning whenever mod_jk would
// silently read something other than what was written.
import type { Diagnostics } from './diagnostics.js';
import type { PropertyEntry, PropertyMap } from './properties.js';
import type { SourceRef } from './types.js';
import { parseJkBool, parseJkInt, splitJkList } from './values.js';

export class WorkerAttrs {
  constructor(
    readonly map: PropertyMap,
    readonly name: string,
    readonly diag: Diagnostics,
    readonly fallbackRef: SourceRef,
  ) {}

  entry(attr: string): PropertyEntry | undefined {
    return this.map.entries.get(`worker.${this.name}.${attr}`);
  }
  has(attr: string): boolean {
    return this.entry(attr) !== undefined;
  }
  refOf(attr: string): SourceRef {
    return this.entry(attr)?.ref ?? this.fallbackRef;
  }
  str(attr: string, def: string): string {
    return this.entry(attr)?.value ?? def;
  }
  optStr(attr: string): string | undefined {
    return this.entry(attr)?.value;
  }

  int(attr: string, def: number, opts: { min?: number; max?: number; unit?: string } = {}): number {
    const e = this.entry(attr);
    if (!e) return def;
    const p = parseJkInt(e.value, def);
    const unit = opts.unit ? ` ${opts.unit}` : '';
    if (!p.clean) {
      const meaning = parseJkInt(e.value, NaN).value;
      const used = Number.isNaN(meaning) ? `the default ${def}` : `${p.value}`;
      this.diag.warn(e.ref, e.key, `'${e.value}' is not an integer; mod_jk reads it as ${used}${unit}`,
        'write a whole number, optionally with a k or m suffix');
    }
    let v = p.value;
    if (opts.min !== undefined && v < opts.min) {
      this.diag.warn(e.ref, e.key, `${v} is below the minimum ${opts.min}; ${opts.min}${unit} is used`);
      v = opts.min;
    }
    if (opts.max !== undefined && v > opts.max) {
      this.diag.warn(e.ref, e.key, `${v} is above the maximum ${opts.max}; ${opts.max}${unit} is used`);
      v = opts.max;
    }
    return v;
  }

  bool(attr: string, def: boolean): boolean {
    const e = this.entry(attr);
    if (!e) return def;
    const p = parseJkBool(e.value, def);
    if (!p.clean) {
      this.diag.warn(e.ref, e.key, `'${e.value}' is not a boolean; mod_jk keeps the default (${def})`,
        'use true/false, on/off, yes/no or 1/0');
    }
    return p.value;
  }

  list(attr: string): string[] {
    const e = this.entry(attr);
    return e ? splitJkList(e.value) : [];
  }

  intList(attr: string): number[] {
    const e = this.entry(attr);
    if (!e) return [];
    return splitJkList(e.value).map((s) => {
      const n = Number.parseInt(s, 10);
      if (!/^[+-]?\d+$/.test(s)) {
        this.diag.warn(e.ref, e.key, `'${s}' is not a status code; mod_jk reads it as ${Number.isNaN(n) ? 0 : n}`,
          'list HTTP status codes, negative to fail over without marking the member in error');
      }
      return Number.isNaN(n) ? 0 : n;
    });
  }

  /** A one-letter code read from the first character, as mod_jk's *_get_*_code functions do. */
  code<T extends string>(attr: string, def: T, table: Readonly<Record<string, T>>, allowed: string): T {
    const e = this.entry(attr);
    if (!e) return def;
    const c = e.value.charAt(0);
    const v = table[c] ?? table[c.toUpperCase()];
    if (v === undefined) {
      this.diag.warn(e.ref, e.key, `'${e.value}' is not a known value; mod_jk uses the default '${def}'`, `allowed: ${allowed}`);
      return def;
    }
    return v;
  }
}
