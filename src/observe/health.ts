// /livez and /readyz. Liveness never looks at backends (a restart does not fix a Tomcat); readiness fails while
// draining, so a load balancer in front stops sending before the listeners close, and when some lb has no
// member left to take a request.

import { isUsable, type RuntimeView } from './snapshot.js';

export interface Readiness {
  ready: boolean;
  reason?: string;
  /** lb workers without a usable member. */
  lbs?: string[];
}

export function readiness(getRuntime: () => RuntimeView, isDraining: () => boolean): Readiness {
  if (isDraining()) return { ready: false, reason: 'draining' };
  let runtime: RuntimeView;
  try {
    runtime = getRuntime();
  } catch {
    return { ready: false, reason: 'starting' };
  }
  const down: string[] = [];
  for (const lb of runtime.targets.balancers) {
    if (!lb.balancer.snapshot().members.some(isUsable)) down.push(lb.name);
  }
  if (down.length > 0) return { ready: false, reason: 'no usable member', lbs: down };
  return { ready: true };
}
