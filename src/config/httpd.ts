// An httpd.conf reader for what ajplb needs: listeners, virtual hosts and mod_jk's directives. Everything else
// is reported once as ignored and never fails the load; a file that is missing here is a warning.
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import type { Diagnostics } from './diagnostics.js';
import { hintFor } from './diagnostics.js';
import { expandInclude, locate, type PathContext, type PathRemap } from './httpd-paths.js';
import { parseMountRule, readUriWorkerMap } from './mounts.js';
import type { ListenerConfig, MountRule, SourceRef, VirtualHostConfig } from './types.js';
import { namesHost } from './vhosts.js';

export interface HttpdVhost {
  config: VirtualHostConfig;
  /** JkMountCopy in this vhost: true (On), false (Off), undefined (not set). */
  mountCopy: boolean | undefined;
  hasOwnMounts: boolean;
  hasOwnMountFile: boolean;
}

export interface HttpdConfig {
  serverRoot: string;
  listeners: ListenerConfig[];
  /** JkMount/JkUnMount/JkMountFile rules outside any <VirtualHost>. */
  mainMounts: MountRule[];
  mainHasMountFile: boolean;
  mountCopyAll: boolean;
  vhosts: HttpdVhost[];
  workersFile: string | undefined;
  workersFileRef: SourceRef | undefined;
  /** JkWorkerProperty lines, in order. */
  workerProperties: Array<{ text: string; ref: SourceRef }>;
  jkOptions: string[];
  envVars: Map<string, string | undefined>;
  /** Every config file read. */
  files: string[];
  /** KeepAliveTimeout outside any <VirtualHost>. */
  keepAliveTimeoutMs: number | undefined;
}

export interface HttpdReadOptions {
  remap?: readonly PathRemap[];
  env?: Record<string, string | undefined>;
}

const JK_DIRECTIVES = [
  'JkWorkersFile', 'JkMountFile', 'JkMountFileReload', 'JkWatchdogInterval', 'JkMount', 'JkUnMount', 'JkMountCopy',
  'JkStripSession', 'JkLogFile', 'JkShmFile', 'JkShmSize', 'JkLogLevel', 'JkLogStampFormat', 'JkRequestLogFormat',
  'JkAutoAlias', 'JkWorkerIndicator', 'JkRequestIdIndicator', 'JkRemoteAddrIndicator', 'JkRemotePortIndicator',
  'JkRemoteHostIndicator', 'JkRemoteUserIndicator', 'JkAuthTypeIndicator', 'JkLocalNameIndicator',
  'JkLocalAddrIndicator', 'JkLocalPortIndicator', 'JkIgnoreCLIndicator', 'JkHTTPSIndicator', 'JkSSLPROTOCOLIndicator',
  'JkCERTSIndicator', 'JkCIPHERIndicator', 'JkSESSIONIndicator', 'JkKEYSIZEIndicator', 'JkCERTCHAINPrefix',
  'JkExtractSSL', 'JkEnvVar', 'JkOptions', 'JkWorkerProperty',
];
const JK_LOWER = new Map(JK_DIRECTIVES.map((d) => [d.toLowerCase(), d]));
const MAX_INCLUDE_DEPTH = 16;

interface Frame {
  /** Closing tag we wait for, lower case. */
  tag: string;
  /** False when the block's contents are skipped (<IfModule> of an absent module...). */
  active: boolean;
  location?: string;
}

/** Split an httpd argument string: whitespace-separated, "double" or 'single' quoted, backslash escapes. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    const q = s[i];
    let tok = '';
    if (q === '"' || q === "'") {
      i++;
      while (i < s.length && s[i] !== q) {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        tok += s[i++];
      }
      i++;
    } else {
      while (i < s.length && !/\s/.test(s[i]!)) tok += s[i++];
    }
    out.push(tok);
  }
  return out;
}

export function readHttpdConf(file: string, diag: Diagnostics, opts: HttpdReadOptions = {}): HttpdConfig {
  const abs = resolve(file);
  const reader = new HttpdReader(abs, diag, opts);
  reader.readFile(abs, 0);
  return reader.result;
}

class HttpdReader {
  readonly result: HttpdConfig;
  private readonly ctx: PathContext;
  private readonly ignored = new Set<string>();
  private readonly loadedModules = new Set<string>();
  private sawLoadModule = false;
  private vhost: HttpdVhost | undefined;
  private stack: Frame[] = [];

  constructor(mainFile: string, readonly diag: Diagnostics, readonly opts: HttpdReadOptions) {
    const dir = dirname(mainFile);
    // Without a usable ServerRoot, the directory above conf/ is where httpd's relative paths start.
    const root = basename(dir) === 'conf' ? dirname(dir) : dir;
    this.ctx = { declaredRoot: undefined, root, remap: opts.remap ?? [] };
    this.result = {
      serverRoot: root, listeners: [], mainMounts: [], mainHasMountFile: false, mountCopyAll: false, vhosts: [],
      workersFile: undefined, workersFileRef: undefined, workerProperties: [], jkOptions: [], envVars: new Map(), files: [],
      keepAliveTimeoutMs: undefined,
    };
  }

  readFile(file: string, depth: number): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      this.diag.warn({ file, line: 0 }, undefined, `cannot read: ${(e as Error).message}`);
      return;
    }
    this.result.files.push(file);
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const ref = { file, line: i + 1 };
      let line = lines[i]!.replace(/\r$/, '');
      // httpd joins a line ending in '\' with the next one.
      while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/\r$/, '');
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      this.directive(t, ref, depth);
    }
  }

  private get active(): boolean {
    return this.stack.every((f) => f.active);
  }

  private directive(t: string, ref: SourceRef, depth: number): void {
    if (t.startsWith('</')) return this.close(t.slice(2).replace(/>\s*$/, '').trim().toLowerCase(), ref);
    if (t.startsWith('<')) return this.open(t.slice(1).replace(/>\s*$/, ''), ref);
    if (!this.active) return;
    const sp = t.search(/\s/);
    const name = sp < 0 ? t : t.slice(0, sp);
    const args = sp < 0 ? [] : splitArgs(t.slice(sp + 1));
    const lower = name.toLowerCase();
    switch (lower) {
      case 'include': case 'includeoptional': return this.include(args, ref, depth, lower === 'includeoptional');
      case 'serverroot': return this.serverRoot(args, ref);
      case 'listen': return this.listen(args, ref);
      case 'loadmodule': return this.loadModule(args);
      case 'servername': return this.serverName(args, ref);
      case 'serveralias': if (this.vhost) this.vhost.config.names.push(...args.map((a) => a.toLowerCase())); return;
      case 'keepalivetimeout': return this.keepAliveTimeout(args, ref);
    }
    const jk = JK_LOWER.get(lower);
    if (jk !== undefined) return this.jk(jk, args, t.slice(sp < 0 ? t.length : sp + 1).trim(), ref);
    if (lower.startsWith('jk')) {
      this.diag.error(ref, name, 'unknown mod_jk directive; httpd refuses to start', hintFor(name, JK_DIRECTIVES));
      return;
    }
    if (!this.ignored.has(lower)) {
      this.ignored.add(lower);
      this.diag.info(ref, name, 'not a directive ajplb uses; ignored (reported once)');
    }
  }

  private open(inner: string, ref: SourceRef): void {
    const sp = inner.search(/\s/);
    const tag = (sp < 0 ? inner : inner.slice(0, sp)).toLowerCase();
    const args = sp < 0 ? [] : splitArgs(inner.slice(sp + 1));
    const parentActive = this.active;
    if (tag === 'ifmodule') {
      const arg = args[0] ?? '';
      const neg = arg.startsWith('!');
      const present = this.modulePresent(neg ? arg.slice(1) : arg);
      this.stack.push({ tag, active: neg ? !present : present });
    } else if (tag === 'ifdefine') {
      this.stack.push({ tag, active: (args[0] ?? '').startsWith('!') });
    } else if (tag === 'virtualhost') {
      this.stack.push({ tag, active: true });
      if (!parentActive) return;
      if (this.vhost) this.diag.error(ref, '<VirtualHost>', 'nested <VirtualHost>; httpd refuses to start');
      for (const addr of args) {
        if (!namesHost(addr)) continue;
        this.diag.warn(ref, '<VirtualHost>', `'${addr}' names a host, not an address: httpd looks it up when it starts, ajplb does not, so this vhost answers on every address (as *)`,
          'write its IP address for IP-based matching, or * for a name-based vhost');
      }
      this.vhost = {
        config: { names: [], addresses: args, mounts: [], defined: ref },
        mountCopy: undefined, hasOwnMounts: false, hasOwnMountFile: false,
      };
    } else if (tag === 'location' || tag === 'directory') {
      this.stack.push({ tag, active: true, location: args[0] ?? '/' });
    } else {
      this.stack.push({ tag, active: true });
    }
  }

  private close(tag: string, ref: SourceRef): void {
    const top = this.stack.pop();
    if (!top) {
      this.diag.warn(ref, `</${tag}>`, 'closing tag without an opening one; ignored');
      return;
    }
    if (top.tag !== tag) this.diag.warn(ref, `</${tag}>`, `expected </${top.tag}>`);
    if (top.tag === 'virtualhost' && this.vhost && this.active) {
      this.result.vhosts.push(this.vhost);
      this.vhost = undefined;
    }
  }

  /** jk is always present; other modules are present when LoadModule'd, or when the file loads none (a snippet). */
  private modulePresent(m: string): boolean {
    const id = m.toLowerCase();
    if (id === 'mod_jk.c' || id === 'jk_module') return true;
    if (!this.sawLoadModule) return true;
    return this.loadedModules.has(id);
  }

  private loadModule(args: string[]): void {
    this.sawLoadModule = true;
    const [name, path] = args;
    if (name) this.loadedModules.add(name.toLowerCase());
    if (path) {
      const file = basename(path).replace(/\.so$/, '').toLowerCase();
      this.loadedModules.add(`${file}.c`);
    }
  }

  private include(args: string[], ref: SourceRef, depth: number, optional: boolean): void {
    const written = args[0];
    if (written === undefined) return;
    if (depth >= MAX_INCLUDE_DEPTH) {
      this.diag.error(ref, 'Include', `includes nested deeper than ${MAX_INCLUDE_DEPTH}; probably a loop`);
      return;
    }
    const globbed = /[*?[]/.test(written);
    let files: string[];
    if (globbed) {
      const full = isAbsolute(written) ? written : resolve(this.ctx.root, written);
      files = expandInclude(full);
      if (files.length === 0 && !optional) {
        this.diag.warn(ref, 'Include', `'${written}' matches no file here`);
      }
    } else {
      const found = locate(written, this.ctx, ref.file);
      if (!found) {
        if (!optional) this.diag.warn(ref, 'Include', `'${written}' does not exist here; skipped`, 'use --path-map FROM=TO to point it at a local copy');
        return;
      }
      if (found.note) this.diag.warn(ref, 'Include', `'${written}' ${found.note}`);
      files = expandInclude(found.path);
    }
    for (const f of files) this.readFile(f, depth + 1);
  }

  private serverRoot(args: string[], ref: SourceRef): void {
    const written = args[0];
    if (!written) return;
    this.ctx.declaredRoot = written;
    const found = locate(written, { ...this.ctx, declaredRoot: undefined }, ref.file);
    if (found && !found.note) {
      this.ctx.root = found.path;
    } else {
      this.diag.warn(ref, 'ServerRoot', `'${written}' does not exist here; relative paths are taken from ${this.ctx.root}`,
        'use --path-map FROM=TO to map it');
    }
    this.result.serverRoot = this.ctx.root;
  }

  private listen(args: string[], ref: SourceRef): void {
    const spec = args[0];
    if (!spec) return;
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$|^(\d+)$/.exec(spec);
    if (!m) {
      this.diag.error(ref, 'Listen', `'${spec}' is not [address:]port; httpd refuses to start`);
      return;
    }
    const port = Number(m[3] ?? m[4]);
    const host = m[1] ?? m[2] ?? '0.0.0.0';
    const proto = args[1]?.toLowerCase();
    const tls = proto === 'https' || (proto === undefined && port === 443);
    if (this.vhost) this.diag.error(ref, 'Listen', 'Listen is not allowed in <VirtualHost>; httpd refuses to start');
    this.result.listeners.push({ host, port, tls });
  }

  /** httpd takes seconds, or milliseconds with an "ms" suffix. */
  private keepAliveTimeout(args: string[], ref: SourceRef): void {
    const m = /^(\d+)(ms)?$/i.exec(args[0] ?? '');
    if (args.length !== 1 || m === null) {
      this.diag.error(ref, 'KeepAliveTimeout', `'${args.join(' ')}' is not a number of seconds (or N ms); httpd refuses to start`);
      return;
    }
    if (this.vhost) {
      this.diag.info(ref, 'KeepAliveTimeout', 'per-<VirtualHost> KeepAliveTimeout is not supported; the server-wide value applies');
      return;
    }
    const ms = Number(m[1]) * (m[2] === undefined ? 1000 : 1);
    // 0 in httpd closes right after each response; ajplb's sweep needs a positive limit, so take the smallest.
    this.result.keepAliveTimeoutMs = Math.max(ms, 1);
  }

  private serverName(args: string[], ref: SourceRef): void {
    const name = args[0];
    if (!name || !this.vhost) return;
    // "ServerName host:port" — the port only affects self-referential URLs, not matching.
    const host = name.replace(/^[a-z]+:\/\//i, '').replace(/:\d+$/, '').toLowerCase();
    if (this.vhost.config.names.length > 0 && this.vhost.config.names[0] !== host) {
      this.diag.warn(ref, 'ServerName', `second ServerName in this <VirtualHost>; '${host}' replaces '${this.vhost.config.names[0]}'`);
    }
    this.vhost.config.names[0] = host;
  }

  private jk(name: string, args: string[], raw: string, ref: SourceRef): void {
    const inLocation = [...this.stack].reverse().find((f) => f.location !== undefined)?.location;
    switch (name) {
      case 'JkMount':
      case 'JkUnMount': {
        let pattern: string | undefined;
        let worker: string | undefined;
        if (args.length >= 2 && inLocation === undefined) [pattern, worker] = args;
        else if (args.length === 1 && inLocation !== undefined) [pattern, worker] = [inLocation, args[0]];
        else {
          this.diag.error(ref, name, inLocation === undefined
            ? `${name} needs a path and a worker; httpd refuses to start`
            : `${name} inside <Location> takes only the worker; httpd refuses to start`);
          return;
        }
        if (name === 'JkUnMount') pattern = `!${pattern!}`;
        const rules = parseMountRule(pattern!, worker!, 'jkmount', ref, this.diag, { fatalBadPath: true });
        this.addMounts(rules);
        return;
      }
      case 'JkMountFile': {
        const written = args[0];
        if (!written) return;
        const found = locate(written, this.ctx, ref.file);
        if (!found) {
          this.diag.warn(ref, name, `'${written}' does not exist here; no rules loaded from it (httpd would refuse to start)`,
            'use --path-map FROM=TO to point it at a local copy');
          return;
        }
        if (found.note) this.diag.warn(ref, name, `'${written}' ${found.note}`);
        let text: string;
        try {
          text = readFileSync(found.path, 'utf8');
        } catch (e) {
          this.diag.warn(ref, name, `cannot read '${found.path}': ${(e as Error).message}`);
          return;
        }
        this.addMounts(readUriWorkerMap(text, found.path, this.diag, this.opts.env));
        if (this.vhost) this.vhost.hasOwnMountFile = true;
        else this.result.mainHasMountFile = true;
        return;
      }
      case 'JkMountCopy': {
        const v = (args[0] ?? '').toLowerCase();
        if (v === 'all') {
          if (this.vhost) this.diag.error(ref, name, "'All' is only allowed outside <VirtualHost>; httpd refuses to start");
          else this.result.mountCopyAll = true;
        } else if (v === 'on' || v === 'off') {
          if (this.vhost) this.vhost.mountCopy = v === 'on';
        } else {
          this.diag.error(ref, name, `'${args[0] ?? ''}' is not allowed; httpd refuses to start`, 'JkMountCopy must be All, On or Off');
        }
        return;
      }
      case 'JkWorkersFile': {
        const written = args[0];
        if (!written) return;
        if (this.vhost) {
          this.diag.error(ref, name, 'JkWorkersFile is only allowed outside <VirtualHost>; httpd refuses to start');
          return;
        }
        const found = locate(written, this.ctx, ref.file);
        if (!found) {
          this.diag.warn(ref, name, `'${written}' does not exist here`, 'give --workers FILE or --path-map FROM=TO');
          this.result.workersFile = isAbsolute(written) ? written : resolve(this.ctx.root, written);
        } else {
          if (found.note) this.diag.warn(ref, name, `'${written}' ${found.note}`);
          this.result.workersFile = found.path;
        }
        this.result.workersFileRef = ref;
        return;
      }
      case 'JkWorkerProperty':
        this.result.workerProperties.push({ text: raw, ref });
        return;
      case 'JkOptions':
        this.result.jkOptions.push(...args);
        return;
      case 'JkEnvVar':
        if (args[0]) this.result.envVars.set(args[0], args[1]);
        return;
      case 'JkLogFile':
        if ((args[0] ?? '').startsWith('|')) {
          this.diag.warn(ref, name, 'piped log programs are not started; ajplb writes its own log', 'ajplb logs to stdout (pipe it to rotatelogs) or --access-log FILE with SIGUSR1 to reopen');
        } else {
          this.diag.info(ref, name, 'ajplb writes its own log; this path is not used');
        }
        return;
      default:
        if (!this.ignored.has(name)) {
          this.ignored.add(name);
          this.diag.info(ref, name, 'mod_jk directive accepted but not used by ajplb (reported once)');
        }
    }
  }

  private addMounts(rules: MountRule[]): void {
    if (this.vhost) {
      this.vhost.config.mounts.push(...rules);
      this.vhost.hasOwnMounts = true;
    } else {
      this.result.mainMounts.push(...rules);
    }
  }
}
