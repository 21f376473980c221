// The `vhost` label: the ServerName of the configured <VirtualHost> whose name or alias matches the Host
// header, else "_default_". Never the Host header itself — clients choose it, so it would let anyone create
// metric series.

import { wildcardRegExp } from '../config/matcher.js';
import type { VirtualHostConfig } from '../config/types.js';
import { hostName } from '../config/vhosts.js';

export const DEFAULT_VHOST = '_default_';
const CACHE_MAX = 512;
const NONE: readonly VirtualHostConfig[] = [];

interface Wildcard {
  re: RegExp;
  label: string;
}

export class VhostLabeler {
  private vhosts: readonly VirtualHostConfig[] | null = null;
  private exact = new Map<string, string>();
  private wildcards: Wildcard[] = [];
  /** Raw Host header -> label; bounded, so a flood of made-up hosts only costs the slow path. */
  private cache = new Map<string, string>();

  constructor(private readonly getVhosts: () => readonly VirtualHostConfig[] | undefined) {}

  label(host: string | undefined): string {
    this.refresh();
    if (host === undefined || host === '') return DEFAULT_VHOST;
    const hit = this.cache.get(host);
    if (hit !== undefined) return hit;
    const label = this.resolve(hostName(host));
    if (this.cache.size < CACHE_MAX) this.cache.set(host, label);
    return label;
  }

  private resolve(name: string): string {
    const exact = this.exact.get(name);
    if (exact !== undefined) return exact;
    for (const w of this.wildcards) if (w.re.test(name)) return w.label;
    return DEFAULT_VHOST;
  }

  /** Rebuilds the tables when a reload brought another vhost list. */
  private refresh(): void {
    let vhosts: readonly VirtualHostConfig[] | undefined;
    try {
      vhosts = this.getVhosts();
    } catch {
      vhosts = undefined;
    }
    vhosts ??= NONE;
    if (vhosts === this.vhosts) return;
    this.vhosts = vhosts;
    this.exact = new Map();
    this.wildcards = [];
    this.cache = new Map();
    for (const v of vhosts) {
      const label = v.names[0]?.toLowerCase() ?? DEFAULT_VHOST;
      for (const raw of v.names) {
        const n = raw.toLowerCase();
        if (n.includes('*') || n.includes('?')) this.wildcards.push({ re: wildcardRegExp(n), label });
        else if (!this.exact.has(n)) this.exact.set(n, label);
      }
    }
  }
}
