// Value conversions with mod_jk's exact leniency (jk_map_get_int / jk_get_bool_code / strtok lists):
// each returns what mod_jk would use plus whether the text was clean, so callers can warn.

export interface Parsed<T> {
  value: T;
  /** False when mod_jk would silently fall back or read only a prefix. */
  clean: boolean;
}

const INT_RE = /^\s*([+-]?\d+)(.?)/;

/** strtol + optional k/m suffix; unparsable or out of int range gives the default, as in jk_map_get_int. */
export function parseJkInt(text: string, def: number): Parsed<number> {
  const m = INT_RE.exec(text);
  if (!m) return { value: def, clean: false };
  const n = Number(m[1]);
  const suffix = m[2] ?? '';
  let mult = 1;
  if (suffix === 'k' || suffix === 'K') mult = 1024;
  else if (suffix === 'm' || suffix === 'M') mult = 1024 * 1024;
  const v = n * mult;
  if (v > 2147483647 || v < -2147483648) return { value: def, clean: false };
  return { value: v, clean: /^[+-]?\d+[kKmM]?$/.test(text.trim()) };
}

/** jk_get_bool_code: off/on, 0/1, or a first letter t/y/f/n; anything else keeps the default. */
export function parseJkBool(text: string, def: boolean): Parsed<boolean> {
  const v = text.toLowerCase();
  if (v === 'off' || v === '0' || v[0] === 'f' || v[0] === 'n') return { value: false, clean: true };
  if (v === 'on' || v === '1' || v[0] === 't' || v[0] === 'y') return { value: true, clean: true };
  return { value: def, clean: false };
}

/** jk_map_get_string_list: split on space, tab and comma, drop empties. */
export function splitJkList(text: string): string[] {
  return text.split(/[ \t,]+/).filter((s) => s.length > 0);
}
