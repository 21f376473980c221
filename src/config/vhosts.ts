// Apache name-based virtual hosting over the compiled mount matchers: among the vhosts listening on the local
// port, the first whose ServerName/ServerAlias matches the Host header, else the first of them (the default).
// No vhost on that port: the main server's mounts. All lookups are precompiled maps; groups are cached per port.
import { compileMounts, wildcardRegExp, type MountMatcher } from './matcher.js';
import type { AppConfig, VirtualHostConfig } from './types.js';

export interface VhostResolution {
  vhost?: VirtualHostConfig;
  matcher: MountMatcher;
}

export interface VhostResolver {
  resolve(hostHeader: string | undefined, localPort: number): VhostResolution;
}

interface CompiledVhost {
  config: VirtualHostConfig;
  resolution: VhostResolution;
  /** undefined = any port (`<VirtualHost *>`). */
  ports: Array<number | undefined>;
  wildcards: RegExp[];
}

interface PortGroup {
  /** Position in config order decides between an exact and a wildcard match, as httpd checks vhosts in order. */
  exact: Map<string, { order: number; resolution: VhostResolution }>;
  wildcards: Array<{ order: number; re: RegExp; resolution: VhostResolution }>;
  fallback: VhostResolution;
}

/** `*:80`, `_default_:443`, `10.0.0.1:8080`, `[::1]:80`, `*` -> port or undefined (any). */
export function addressPort(addr: string): number | undefined {
  const m = /:(\d+|\*)$/.exec(addr);
  if (!m || m[1] === '*' || (addr.startsWith('[') && !addr.includes(']:'))) return undefined;
  return Number(m[1]);
}

/** Host header -> lower-case name without port or trailing dot. */
export function hostName(header: string): string {
  let h = header.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end > 0 ? h.slice(0, end + 1) : h;
  } else {
    const colon = h.lastIndexOf(':');
    if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  }
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h.toLowerCase();
}

export function compileVhosts(app: AppConfig): VhostResolver {
  const main: VhostResolution = { matcher: compileMounts(app.mounts) };
  const compiled: CompiledVhost[] = app.vhosts.map((config) => ({
    config,
    resolution: { vhost: config, matcher: compileMounts(config.mounts) },
    ports: config.addresses.length ? config.addresses.map(addressPort) : [undefined],
    wildcards: config.names.filter((n) => /[*?]/.test(n)).map((n) => wildcardRegExp(n.toLowerCase())),
  }));
  const groups = new Map<number, PortGroup | null>();

  const groupFor = (port: number): PortGroup | null => {
    const cached = groups.get(port);
    if (cached !== undefined) return cached;
    const members = compiled.filter((v) => v.ports.some((p) => p === undefined || p === port));
    let group: PortGroup | null = null;
    if (members.length > 0) {
      group = { exact: new Map(), wildcards: [], fallback: members[0]!.resolution };
      members.forEach((v, order) => {
        for (const n of v.config.names) {
          if (/[*?]/.test(n)) continue;
          const key = n.toLowerCase();
          if (!group!.exact.has(key)) group!.exact.set(key, { order, resolution: v.resolution });
        }
        for (const re of v.wildcards) group!.wildcards.push({ order, re, resolution: v.resolution });
      });
    }
    if (groups.size < 1024) groups.set(port, group);
    return group;
  };

  return {
    resolve(hostHeader: string | undefined, localPort: number): VhostResolution {
      if (compiled.length === 0) return main;
      const group = groupFor(localPort);
      if (!group) return main;
      if (hostHeader === undefined || hostHeader === '') return group.fallback;
      const name = hostName(hostHeader);
      const exact = group.exact.get(name);
      const limit = exact ? exact.order : Infinity;
      for (const w of group.wildcards) {
        if (w.order >= limit) break;
        if (w.re.test(name)) return w.resolution;
      }
      return exact ? exact.resolution : group.fallback;
    },
  };
}
