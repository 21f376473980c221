// Option handling shared by the bench's two entry points (run.ts, memory.ts): a mistyped option ends in the
// usage and exit status 2, never in a stack trace or in a run that silently measures nothing.

import { parseArgs, type ParseArgsConfig } from 'node:util';

export class BenchOptions {
  constructor(private readonly usage: string) {}

  /** parseArgs with `--help`/`-h` added; prints the usage and exits (0 for --help, 2 for an unknown option). */
  parse<T extends NonNullable<ParseArgsConfig['options']>>(options: T): ReturnType<typeof parseArgs<{ options: T }>>['values'] {
    let values: Record<string, unknown>;
    try {
      values = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } } }).values;
    } catch (err) {
      this.refuse((err as Error).message);
    }
    if (values['help'] === true) {
      process.stdout.write(this.usage);
      process.exit(0);
    }
    return values as ReturnType<typeof parseArgs<{ options: T }>>['values'];
  }

  /** A number above zero (or zero, when allowed), or the fallback when the option is absent. */
  number(flag: string, text: string | undefined, fallback: number, zeroAllowed = false): number {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (text.trim() !== '' && Number.isFinite(value) && (value > 0 || (zeroAllowed && value === 0))) return value;
    this.refuse(`--${flag} ${text}: ${zeroAllowed ? 'zero or more' : 'a positive number'} is needed`);
  }

  /** A comma list of known names. */
  list<T extends string>(flag: string, text: string, known: readonly T[]): T[] {
    const names = text.split(',').map((n) => n.trim());
    const unknown = names.filter((n) => !(known as readonly string[]).includes(n));
    if (unknown.length > 0) this.refuse(`--${flag}: ${unknown.join(', ')} unknown; choose from ${known.join(',')}`);
    return names as T[];
  }

  refuse(message: string): never {
    process.stderr.write(`${message}\n\n${this.usage}`);
    process.exit(2);
  }
}
