// Everything built from one configuration load: targets (pools, balancers) and the compiled host/mount
// router. A reload builds a new Runtime from the previous one, keeping the pools and balancer state of workers
// whose settings did not change, then swaps it in; requests already running keep the objects they hold.

import type { AppConfig, MountRule } from '../config/types.js';
import { compileVhosts, type VhostResolver } from '../config/vhosts.js';
import { buildTargets, DEFAULT_TUNING, type AjpTuning, type SharedBalancers, type TargetSet } from './targets.js';

export interface Router {
  /** Some <VirtualHost> names an IP: match needs the connection's local address. */
  readonly byAddress: boolean;
  match(host: string | undefined, localPort: number, localAddress: string | undefined, normalizedPath: string): MountRule | undefined;
}

class VhostRouter implements Router {
  readonly byAddress: boolean;
  constructor(private readonly resolver: VhostResolver) {
    this.byAddress = resolver.byAddress;
  }
  match(host: string | undefined, localPort: number, localAddress: string | undefined, normalizedPath: string): MountRule | undefined {
    return this.resolver.resolve(host, localPort, localAddress).matcher.match(normalizedPath);
  }
}

export class Runtime {
  readonly config: AppConfig;
  readonly targets: TargetSet;
  readonly router: Router;

  private constructor(config: AppConfig, targets: TargetSet, router: Router) {
    this.config = config;
    this.targets = targets;
    this.router = router;
  }

  static build(config: AppConfig, previous?: Runtime, now: () => number = Date.now, shared?: SharedBalancers,
    tuning: AjpTuning = DEFAULT_TUNING): Runtime {
    const targets = buildTargets(config.workers, previous?.targets, now, shared, tuning);
    return new Runtime(config, targets, new VhostRouter(compileVhosts(config)));
  }

  /** mod_jk's worker.maintain pass: lb decay and recovery, idle connection pruning. */
  maintain(now: number): void {
    for (const lb of this.targets.balancers) lb.balancer.maintain(now);
    for (const pool of this.targets.pools) pool.maintain(now);
  }

  /** Close pools this runtime has and `next` does not (after a reload). */
  retire(next: Runtime | null): void {
    const kept = new Set(next?.targets.pools ?? []);
    for (const pool of this.targets.pools) if (!kept.has(pool)) pool.close();
  }
}
