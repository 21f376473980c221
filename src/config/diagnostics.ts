// Collects problems instead of throwing, so one run reports every mistake in a config at once.
import type { Diagnostic, Severity, SourceRef } from './types.js';

export class Diagnostics {
  readonly list: Diagnostic[] = [];
  /** `strict` promotes every warning to an error (info stays info). */
  constructor(readonly strict = false) {}

  add(severity: Severity, at: SourceRef, directive: string | undefined, message: string, hint?: string): void {
    const sev: Severity = this.strict && severity === 'warning' ? 'error' : severity;
    const d: Diagnostic = { severity: sev, file: at.file, line: at.line, message };
    if (directive !== undefined) d.directive = directive;
    if (hint !== undefined) d.hint = hint;
    this.list.push(d);
  }
  error(at: SourceRef, directive: string | undefined, message: string, hint?: string): void {
    this.add('error', at, directive, message, hint);
  }
  warn(at: SourceRef, directive: string | undefined, message: string, hint?: string): void {
    this.add('warning', at, directive, message, hint);
  }
  info(at: SourceRef, directive: string | undefined, message: string, hint?: string): void {
    this.add('info', at, directive, message, hint);
  }
  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }
}

/** `conf/workers.properties:12: worker.a-was1.prot: unknown attribute — did you mean 'port'?` */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}` : d.file;
  const sev = d.severity === 'error' ? '' : `${d.severity}: `;
  const what = d.directive !== undefined ? `${d.directive}: ` : '';
  const hint = d.hint !== undefined ? ` — ${d.hint}` : '';
  return `${where}: ${sev}${what}${d.message}${hint}`;
}

/** Edit distance counting an adjacent swap as one edit (optimal string alignment), so `prot` is 1 from `port`. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) rows.push(new Array<number>(b.length + 1).fill(0));
  for (let i = 0; i <= a.length; i++) rows[i]![0] = i;
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = v;
    }
  }
  return rows[a.length]![b.length]!;
}

/** The closest candidate within a distance that scales with the word, or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = levenshtein(lower, c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return bestDist <= limit ? best : undefined;
}

export function hintFor(word: string, candidates: Iterable<string>, allowed?: string): string | undefined {
  const guess = didYouMean(word, candidates);
  if (guess !== undefined) return `did you mean '${guess}'?`;
  return allowed;
}
