// Apache's virtual host selection over the compiled mount matchers, in httpd's two steps. First the address:
// the vhosts naming the connection's local IP (and its port, or any port), else those written `*`/`_default_`
// for that port; none: the main server's mounts. Then the name: among those, the first whose ServerName or
// ServerAlias matches the Host header, else the first of them (the default). All lookups are precompiled
// maps; groups are cached per address and port, and the local IP is only read when some vhost names one.
import { isIP } from 'node:net';
import { compileMounts, wildcardRegExp, type MountMatcher } from './matcher.js';
import type { AppConfig, VirtualHostConfig } from './types.js';

export interface VhostResolution {
  vhost?: VirtualHostConfig;
  matcher: MountMatcher;
}

export interface VhostResolver {
  /** `localAddress` matters only when `byAddress`; callers may skip reading it otherwise. */
  resolve(hostHeader: string | undefined, localPort: number, localAddress?: string): VhostResolution;
  /** Some vhost names an IP address (IP-based virtual hosting): the connection's local address picks the set. */
  readonly byAddress: boolean;
}

/** One address of a <VirtualHost>: `ip` null is `*`/`_default_` (any address), `port` undefined any port. */
export interface VhostAddress {
  ip: string | null;
  port: number | undefined;
}

interface CompiledVhost {
  config: VirtualHostConfig;
  resolution: VhostResolution;
  addresses: VhostAddress[];
  wildcards: RegExp[];
}

interface PortGroup {
  /** Position in config order decides between an exact and a wildcard match, as httpd checks vhosts in order. */
  exact: Map<string, { order: number; resolution: VhostResolution }>;
  wildcards: Array<{ order: number; re: RegExp; resolution: VhostResolution }>;
  fallback: VhostResolution;
}

/**
 * `10.0.0.1:8080`, `[::1]:80`, `*:80`, `_default_`, `10.0.0.1` -> IP (canonical; null for a wildcard) and port
 * (undefined: any). A host name is not an IP: httpd looks it up at start, ajplb does not (the config warns), so
 * it is any address.
 */
export function vhostAddress(addr: string): VhostAddress {
  const { host, port } = splitAddress(addr);
  return { ip: canonicalIp(host), port };
}

/** True when the address names a host (not an IP, `*` or `_default_`): httpd resolves it at start, ajplb not. */
export function namesHost(addr: string): boolean {
  const { host } = splitAddress(addr);
  return isIP(host) === 0 && host !== '*' && host.toLowerCase() !== '_default_';
}

/** A <VirtualHost> argument's address (brackets removed) and port (undefined when absent or `*`). */
function splitAddress(addr: string): { host: string; port: number | undefined } {
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    if (end < 0) return { host: addr, port: undefined };
    const m = /^:(\d+)$/.exec(addr.slice(end + 1));
    return { host: addr.slice(1, end), port: m ? Number(m[1]) : undefined };
  }
  const m = /:(\d+|\*)$/.exec(addr);
  if (!m) return { host: addr, port: undefined };
  return { host: addr.slice(0, m.index), port: m[1] === '*' ? undefined : Number(m[1]) };
}

/** An IP literal in the form Node reports a socket's local address in; null for wildcards and host names. */
export function canonicalIp(host: string): string | null {
  const kind = isIP(host);
  if (kind === 4) return host === '0.0.0.0' ? null : host;
  if (kind !== 6) return null;
  // The URL parser writes IPv6 in its shortest form, as inet_ntop does for Node's socket.localAddress.
  const v6 = new URL(`http://[${host}]/`).hostname.slice(1, -1);
  if (v6 === '::') return null;
  // An IPv4-mapped address is the IPv4 address (the URL parser writes ::ffff:10.0.0.1 as ::ffff:a00:1).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
  if (!mapped) return v6;
  const hi = parseInt(mapped[1] as string, 16);
  const lo = parseInt(mapped[2] as string, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** A socket's local address as vhost addresses are written: an IPv4 client on a dual-stack socket is IPv4. */
function localIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The vhosts that name only IP addresses no listener is on (nor on every address): they can never match, e.g.
 * when --listen moved ajplb off httpd.conf's Listen address. `port` is the port vhosts match the listener on.
 */
export function vhostsNoListenerReaches(
  vhosts: readonly VirtualHostConfig[], listeners: ReadonlyArray<{ host: string; port: number }>,
): Array<{ vhost: VirtualHostConfig; addresses: string[] }> {
  const reaches = (a: VhostAddress): boolean => listeners.some((l) => {
    if (a.port !== undefined && a.port !== l.port) return false;
    // A listener on a host name binds what the name resolves to, which only the bind knows: it may be this.
    if (isIP(l.host) === 0) return true;
    const ip = canonicalIp(l.host);
    return ip === null || ip === a.ip;
  });
  const unreached: Array<{ vhost: VirtualHostConfig; addresses: string[] }> = [];
  for (const vhost of vhosts) {
    const parsed = vhost.addresses.map(vhostAddress);
    if (parsed.length === 0 || parsed.some((a) => a.ip === null || reaches(a))) continue;
    unreached.push({ vhost, addresses: vhost.addresses });
  }
  return unreached;
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
    addresses: config.addresses.length ? config.addresses.map(vhostAddress) : [{ ip: null, port: undefined }],
    wildcards: config.names.filter((n) => /[*?]/.test(n)).map((n) => wildcardRegExp(n.toLowerCase())),
  }));
  const byAddress = compiled.some((v) => v.addresses.some((a) => a.ip !== null));
  const groups = new Map<string, PortGroup | null>();
  const servesPort = (a: VhostAddress, port: number): boolean => a.port === undefined || a.port === port;

  const groupFor = (ip: string | null, port: number): PortGroup | null => {
    const key = ip === null ? String(port) : `${ip} ${port}`;
    const cached = groups.get(key);
    if (cached !== undefined) return cached;
    // httpd: the vhosts naming this exact address win; `*` ones serve only addresses no vhost names.
    let members = ip === null ? [] : compiled.filter((v) => v.addresses.some((a) => a.ip === ip && servesPort(a, port)));
    if (members.length === 0) members = compiled.filter((v) => v.addresses.some((a) => a.ip === null && servesPort(a, port)));
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
    if (groups.size < 1024) groups.set(key, group);
    return group;
  };

  return {
    byAddress,
    resolve(hostHeader: string | undefined, localPort: number, localAddress?: string): VhostResolution {
      if (compiled.length === 0) return main;
      const ip = byAddress && localAddress !== undefined ? localIp(localAddress) : null;
      const group = groupFor(ip, localPort);
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
