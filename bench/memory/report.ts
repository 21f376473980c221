// The memory checks' result as markdown (a verdict table, then each check's figures) and JSON (the same plus
// every RSS sample, to plot or re-judge later).

import type { CheckResult } from './front.js';

export type Meta = Record<string, string | number>;

function cell(value: string | number): string {
  return String(value).replace(/\|/g, '\\|');
}

export function markdown(checks: CheckResult[], meta: Meta): string {
  const lines = ['# ajplb memory checks', ''];
  for (const [key, value] of Object.entries(meta)) lines.push(`- ${key}: ${value}`);
  lines.push('', '| check | result | figures |', '|---|---|---|');
  for (const c of checks) lines.push(`| ${cell(c.title)} | **${c.pass ? 'PASS' : 'FAIL'}** | ${cell(c.line)} |`);
  for (const c of checks) {
    lines.push('', `## ${c.id}: ${c.pass ? 'PASS' : 'FAIL'}`, '', c.title, '', '| figure | value |', '|---|---:|');
    for (const [key, value] of Object.entries(c.figures)) lines.push(`| ${cell(key)} | ${cell(value)} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function json(checks: CheckResult[], meta: Meta): string {
  const rows = checks.map((c) => {
    const { samples, ...rest } = c;
    // One sample per line would make a 10-minute soak 600 lines: [seconds, MiB] pairs on the check's line.
    return `${JSON.stringify(rest).slice(0, -1)},"samples":${JSON.stringify(samples.map((s) => [Number(s.sec.toFixed(1)), Number(s.rssMiB.toFixed(1))]))}}`;
  });
  return `{"meta":${JSON.stringify(meta)},\n"checks":[\n${rows.join(',\n')}]}\n`;
}
