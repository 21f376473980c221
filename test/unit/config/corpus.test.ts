// Every real-world file in ../shared/corpus must get mod_jk's verdict: accept -> no error diagnostics,
// reject "fatal:" -> at least one error, reject "nonfatal" -> loads (warnings allowed).
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Diagnostics, formatDiagnostic, loadConfig, readHttpdConf, readUriWorkerMap } from '../../../src/config/index.js';

const CORPUS = resolve(import.meta.dirname, '../../../../shared/corpus');

/** Files where ajplb deliberately differs from mod_jk (see docs/config-differences.md). */
const DIFFERENCES: Record<string, string> = {};

interface Verdict { kind: string; file: string; verdict: string; reason: string }

function verdicts(): Verdict[] {
  const lines = readFileSync(join(CORPUS, 'modjk-verdicts.tsv'), 'utf8').split('\n').slice(1).filter((l) => l.trim());
  return lines.map((l) => {
    const [kind, file, verdict, reason] = l.split('\t');
    return { kind: kind!, file: file!, verdict: verdict!, reason: reason ?? '' };
  });
}

/** The verdict run defined every mounted worker as ajp13 at 127.0.0.1:8009. */
function mountedWorkers(v: Verdict): string[] {
  const path = join(CORPUS, v.file);
  const d = new Diagnostics();
  const rules = v.kind === 'uriworkermap'
    ? readUriWorkerMap(readFileSync(path, 'utf8'), path, d)
    : [...readHttpdConf(path, d).mainMounts, ...readHttpdConf(path, d).vhosts.flatMap((h) => h.config.mounts)];
  return [...new Set(rules.map((r) => r.worker).filter((w) => w !== '*'))];
}

function load(v: Verdict) {
  const path = join(CORPUS, v.file);
  if (v.kind === 'workers') return loadConfig({ workersFile: path, env: {} });
  const names = mountedWorkers(v);
  const workerProperties = [`worker.list=${names.join(',')}`,
    ...names.flatMap((n) => [`worker.${n}.type=ajp13`, `worker.${n}.host=127.0.0.1`, `worker.${n}.port=8009`])];
  return v.kind === 'uriworkermap'
    ? loadConfig({ mountsFile: path, workerProperties, env: {} })
    : loadConfig({ httpdConf: path, workerProperties, env: {} });
}

const all = verdicts();

describe('corpus: mod_jk verdicts', () => {
  it('has every corpus file in the verdict table', () => {
    const files = ['workers', 'uriworkermap', 'httpd'].flatMap((k) => readdirSync(join(CORPUS, k)).map((f) => `${k}/${f}`));
    expect(files.sort()).toEqual(all.map((v) => v.file).sort());
  });

  for (const v of all) {
    const expected = v.verdict === 'accept' ? 'accept' : v.reason.startsWith('fatal:') ? 'fatal' : 'nonfatal';
    it(`${v.file} -> ${expected}`, () => {
      const app = load(v);
      const errors = app.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      if (DIFFERENCES[v.file] !== undefined) return;
      if (expected === 'fatal') expect(errors.length).toBeGreaterThan(0);
      else expect(errors).toEqual([]);
    });
  }
});
