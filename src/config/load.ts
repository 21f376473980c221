// Ties the readers together into one AppConfig: workers (file + JkWorkerProperty lines), mounts from the
// uriworkermap file, JkMount (httpd or command line) and worker.X.mount, and the virtual hosts.
import { readFileSync } from 'node:fs';
import { Diagnostics, hintFor } from './diagnostics.js';
import { readHttpdConf, type HttpdConfig } from './httpd.js';
import type { PathRemap } from './httpd-paths.js';
import { parseMountRule, readUriWorkerMap } from './mounts.js';
import { addPropertyLine, readProperties, type PropertyMap } from './properties.js';
import type { AppConfig, MountRule, SourceRef, VirtualHostConfig, WorkersConfig } from './types.js';
import { validateWorkers } from './workers.js';

export interface LoadOptions {
  workersFile?: string;
  mountsFile?: string;
  /** `/pattern=worker[;ext...]` (or `/pattern worker`), like JkMount. */
  mountArgs?: string[];
  httpdConf?: string;
  strict?: boolean;
  env?: Record<string, string | undefined>;
  /** Extra workers.properties lines, read after the file (httpd's JkWorkerProperty). */
  workerProperties?: string[];
  /** Rewrite absolute paths named in httpd.conf (`/usr/local/apache` -> `./conf-copy`). */
  pathMap?: PathRemap[];
}

export function loadConfig(opts: LoadOptions): AppConfig {
  const diag = new Diagnostics(opts.strict ?? false);
  const env = opts.env ?? process.env;
  const httpd = opts.httpdConf ? readHttpdConf(opts.httpdConf, diag, { remap: opts.pathMap ?? [], env }) : undefined;

  const props = readWorkerProperties(opts, httpd, diag, env);
  const workers = validateWorkers(props, diag);
  const workersGiven = props.lines.length > 0;

  let mainMounts: MountRule[] = [];
  if (opts.mountsFile) {
    const text = readText(opts.mountsFile, diag, { file: opts.mountsFile, line: 0 });
    if (text !== undefined) mainMounts.push(...readUriWorkerMap(text, opts.mountsFile, diag, env));
  }
  (opts.mountArgs ?? []).forEach((arg, i) => mainMounts.push(...mountArg(arg, { file: '--mount', line: i + 1 }, diag)));
  if (httpd) mainMounts.push(...httpd.mainMounts);
  mainMounts.push(...workerMounts(props, workers));
  mainMounts = dedupeJkMounts(mainMounts, diag);

  const vhosts: VirtualHostConfig[] = (httpd?.vhosts ?? []).map((v) => {
    const copy = v.mountCopy ?? httpd!.mountCopyAll;
    const own = dedupeJkMounts(v.config.mounts, diag);
    let mounts: MountRule[];
    if (v.hasOwnMounts) {
      const keys = new Set(own.map(ruleKey));
      mounts = copy ? [...own, ...mainMounts.filter((r) => !keys.has(ruleKey(r)))] : own;
    } else {
      mounts = copy ? [...mainMounts] : [];
    }
    return { ...v.config, mounts };
  });

  const anyMount = mainMounts.length > 0 || vhosts.some((v) => v.mounts.length > 0);
  if (!anyMount && workersGiven) {
    const listRef = props.entries.get('worker.list')?.ref ?? { file: props.file, line: 0 };
    if (workers.list.length === 1) {
      const only = workers.list[0]!;
      mainMounts.push({ pattern: '/*', worker: only, exclude: false, disabled: false, extensions: {}, source: 'jkmount', defined: listRef });
      diag.info(listRef, 'worker.list', `no mounts configured; every request goes to the only worker '${only}' (/*)`);
    } else {
      diag.warn(listRef, 'worker.list', 'no mounts configured and several workers; nothing is forwarded',
        'give a uriworkermap file, JkMount lines or worker.<name>.mount');
    }
  }

  checkMountWorkers([...mainMounts, ...vhosts.flatMap((v) => v.mounts)], workers, diag);
  return {
    workers, mounts: mainMounts, vhosts, listeners: httpd?.listeners ?? [], keepAliveTimeoutMs: httpd?.keepAliveTimeoutMs, diagnostics: diag.list,
  };
}

function readText(file: string, diag: Diagnostics, ref: SourceRef): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    diag.error(ref, undefined, `cannot read: ${(e as Error).message}`);
    return undefined;
  }
}

function readWorkerProperties(opts: LoadOptions, httpd: HttpdConfig | undefined, diag: Diagnostics, env: Record<string, string | undefined>): PropertyMap {
  const file = opts.workersFile ?? httpd?.workersFile;
  let map: PropertyMap = { file: file ?? '(no workers file)', entries: new Map(), lines: [] };
  if (file !== undefined) {
    const text = readText(file, diag, opts.workersFile ? { file, line: 0 } : (httpd?.workersFileRef ?? { file, line: 0 }));
    if (text !== undefined) map = readProperties(text, file, diag, { mode: 'workers', env });
  }
  for (const p of httpd?.workerProperties ?? []) addPropertyLine(map, p.text, p.ref, diag, { mode: 'workers', env });
  (opts.workerProperties ?? []).forEach((line, i) =>
    addPropertyLine(map, line, { file: '--worker-property', line: i + 1 }, diag, { mode: 'workers', env }));
  return map;
}

function mountArg(arg: string, ref: SourceRef, diag: Diagnostics): MountRule[] {
  const eq = arg.indexOf('=');
  const sp = arg.search(/\s/);
  const cut = eq >= 0 && (sp < 0 || eq < sp) ? eq : sp;
  if (cut < 0) {
    diag.error(ref, arg, 'expected /pattern=worker');
    return [];
  }
  return parseMountRule(arg.slice(0, cut).trim(), arg.slice(cut + 1).trim(), 'jkmount', ref, diag, { fatalBadPath: true });
}

/** worker.X.mount counts only for workers in worker.list (mod_jk creates lb members without their maps). */
function workerMounts(props: PropertyMap, workers: WorkersConfig): MountRule[] {
  const out: MountRule[] = [];
  const sink = new Diagnostics();
  for (const name of workers.list) {
    const w = workers.workers.get(name);
    const e = props.entries.get(`worker.${name}.mount`);
    if (!w || !e) continue;
    for (const m of w.mounts) out.push(...parseMountRule(m, name, 'worker.mount', e.ref, sink, { fatalBadPath: false }));
  }
  return out;
}

function ruleKey(r: MountRule): string {
  return `${r.disabled ? '-' : ''}${r.exclude ? '!' : ''}${r.pattern}`;
}

/** JkMount rules live in a map keyed by pattern, so a repeat replaces the earlier rule. */
function dedupeJkMounts(rules: MountRule[], diag: Diagnostics): MountRule[] {
  const seen = new Map<string, number>();
  const out: Array<MountRule | undefined> = [];
  for (const r of rules) {
    if (r.source !== 'jkmount') {
      out.push(r);
      continue;
    }
    const key = ruleKey(r);
    const prev = seen.get(key);
    if (prev !== undefined) {
      const old = out[prev]!;
      if (old.worker !== r.worker) {
        diag.warn(r.defined, `JkMount ${r.pattern}`, `repeats the rule at ${old.defined.file}:${old.defined.line}; '${r.worker}' replaces '${old.worker}'`);
      }
      out[prev] = undefined;
    }
    seen.set(key, out.length);
    out.push(r);
  }
  return out.filter((r): r is MountRule => r !== undefined);
}

function checkMountWorkers(rules: MountRule[], workers: WorkersConfig, diag: Diagnostics): void {
  const reported = new Set<string>();
  for (const r of rules) {
    if (r.worker === '*' && r.exclude) continue;
    const key = `${r.defined.file}:${r.defined.line}:${r.worker}`;
    if (reported.has(key)) continue;
    reported.add(key);
    const directive = r.source === 'uriworkermap' ? r.pattern : `JkMount ${r.pattern}`;
    const w = workers.workers.get(r.worker);
    if (!w || !workers.list.includes(r.worker)) {
      const why = w ? 'is not in worker.list' : 'is not defined';
      diag.warn(r.defined, directive, `worker '${r.worker}' ${why}; mod_jk starts, but requests matching this rule fail`,
        hintFor(r.worker, workers.list, `define it and add it to worker.list`));
      continue;
    }
    const ext = r.extensions;
    if ((ext.active || ext.disabled || ext.stopped) && w.type !== 'lb') {
      diag.warn(r.defined, directive, `worker '${r.worker}' is not an lb; the activation extensions are ignored`);
    } else if (w.type === 'lb') {
      for (const m of [...(ext.active ?? []), ...(ext.disabled ?? []), ...(ext.stopped ?? [])]) {
        if (!w.members.includes(m)) diag.warn(r.defined, directive, `'${m}' is not a member of lb '${w.name}'; ignored`, hintFor(m, w.members));
      }
    }
    if (w.type !== 'lb' && (ext.sessionCookie !== undefined || ext.sessionPath !== undefined ||
      ext.setSessionCookie !== undefined || ext.sessionCookiePath !== undefined)) {
      diag.warn(r.defined, directive, `worker '${r.worker}' is not an lb; the session extensions are ignored`);
    }
  }
}
