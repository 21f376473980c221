// Per-request URI -> rule lookup with mod_jk's precedence (jk_uri_worker_map.c worker_compare/find_match/
// is_nomatch): more '/' first, then the longer pattern, then uriworkermap > JkMount > worker.mount, then order.
// Exact rules sit in a Map, `/prefix*` rules in a rank-sorted array tested with startsWith, and only real
// wildcards pay for a RegExp. The first rule in that order wins; a matching exclusion for the same worker
// (or '*') then cancels the match outright, as in mod_jk.
import type { MountRule, MountSource } from './types.js';

export interface MountMatcher {
  /** `normalizedPath` is the output of normalizePath (decoded, no ;params, no dot segments). */
  match(normalizedPath: string): MountRule | undefined;
  /** Active rules in precedence order, exclusions last. */
  readonly rules: readonly MountRule[];
}

const SOURCE_RANK: Record<MountSource, number> = { uriworkermap: 3, jkmount: 2, 'worker.mount': 1 };

interface Ranked {
  rule: MountRule;
  rank: number;
}
interface PrefixRule extends Ranked {
  prefix: string;
}
interface RegexRule extends Ranked {
  re: RegExp;
}

class RuleSet {
  readonly exact = new Map<string, Ranked>();
  readonly prefixes: PrefixRule[] = [];
  readonly regexes: RegexRule[] = [];

  add(rule: MountRule, rank: number): void {
    const p = rule.pattern;
    if (!p.includes('*') && !p.includes('?')) {
      if (!this.exact.has(p)) this.exact.set(p, { rule, rank });
    } else if (/^[^*?]*\*+$/.test(p)) {
      this.prefixes.push({ rule, rank, prefix: p.slice(0, p.indexOf('*')) });
    } else {
      this.regexes.push({ rule, rank, re: wildcardRegExp(p) });
    }
  }

  /** Best-ranked matching rule, or undefined. Arrays are in rank order, so each scan stops early. */
  best(path: string): Ranked | undefined {
    let best = this.exact.get(path);
    let limit = best ? best.rank : Infinity;
    for (const r of this.prefixes) {
      if (r.rank >= limit) break;
      if (path.startsWith(r.prefix)) {
        best = r;
        limit = r.rank;
        break;
      }
    }
    for (const r of this.regexes) {
      if (r.rank >= limit) break;
      if (r.re.test(path)) {
        best = r;
        break;
      }
    }
    return best;
  }

  any(path: string): boolean {
    if (this.exact.has(path)) return true;
    for (const r of this.prefixes) if (path.startsWith(r.prefix)) return true;
    for (const r of this.regexes) if (r.re.test(path)) return true;
    return false;
  }
}

/** jk_wildchar_match (and httpd's ServerAlias wildcards): '*' is any run of characters including '/', '?' exactly one; case-sensitive. */
export function wildcardRegExp(pattern: string): RegExp {
  let src = '^';
  for (const ch of pattern) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&');
  }
  return new RegExp(`${src}$`, 's');
}

function slashCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 47) n++;
  return n;
}

/** mod_jk's worker_compare, made total by falling back to the order rules were given in. */
export function sortByPrecedence(rules: readonly MountRule[]): MountRule[] {
  const indexed = rules.map((rule, i) => ({ rule, i, slashes: slashCount(rule.pattern) }));
  indexed.sort((a, b) =>
    b.slashes - a.slashes ||
    b.rule.pattern.length - a.rule.pattern.length ||
    SOURCE_RANK[b.rule.source] - SOURCE_RANK[a.rule.source] ||
    a.i - b.i);
  return indexed.map((x) => x.rule);
}

export function compileMounts(rules: readonly MountRule[]): MountMatcher {
  const active = sortByPrecedence(rules.filter((r) => !r.disabled));
  const positives = new RuleSet();
  const exclusionsByWorker = new Map<string, RuleSet>();
  const ordered: MountRule[] = [];
  const exclusions: MountRule[] = [];
  let rank = 0;
  for (const rule of active) {
    if (rule.exclude) {
      exclusions.push(rule);
      let set = exclusionsByWorker.get(rule.worker);
      if (!set) exclusionsByWorker.set(rule.worker, (set = new RuleSet()));
      set.add(rule, rank++);
    } else {
      ordered.push(rule);
      positives.add(rule, rank++);
    }
  }
  const wildcardExclusions = exclusionsByWorker.get('*');
  const hasExclusions = exclusions.length > 0;
  return {
    rules: [...ordered, ...exclusions],
    match(path: string): MountRule | undefined {
      const hit = positives.best(path);
      if (!hit) return undefined;
      if (hasExclusions) {
        const own = exclusionsByWorker.get(hit.rule.worker);
        if (own?.any(path) || wildcardExclusions?.any(path)) return undefined;
      }
      return hit.rule;
    },
  };
}
