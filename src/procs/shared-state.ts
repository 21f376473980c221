// --procs threads: the primary owns one SharedArrayBuffer per lb worker and every serving thread's balancer
// attaches to it, so lb values, busy counts, member states and status-page changes are one state, as in
// mod_jk's shm file. The primary also initialises each buffer (through a Balancer it then drops): two
// threads starting at once must never both find it empty.

import { Balancer } from '../balancer/index.js';
import type { AjpWorkerConfig, WorkersConfig } from '../config/types.js';
import type { SharedBalancers } from '../front/targets.js';

export class SharedBalancerState {
  /** By lb name: the member list the buffer was laid out for (names joined) and the buffer. */
  private readonly held = new Map<string, { members: string; buffer: SharedArrayBuffer }>();

  /**
   * The buffers for this configuration. An lb whose members are the same names in the same order keeps its
   * buffer, as a thread's reload keeps its balancer (src/front/targets.ts), so live state survives a reload.
   */
  update(workers: WorkersConfig): SharedBalancers {
    const out: Record<string, SharedArrayBuffer> = {};
    for (const w of workers.workers.values()) {
      if (w.type !== 'lb') continue;
      const members = w.members
        .map((name) => workers.workers.get(name))
        .filter((m): m is AjpWorkerConfig => m?.type === 'ajp13');
      const key = members.map((m) => m.name).join('\0');
      const have = this.held.get(w.name);
      if (have !== undefined && have.members === key) {
        out[w.name] = have.buffer;
        continue;
      }
      const balancer = new Balancer(w, members, { maintainSec: workers.maintainSec });
      const buffer = balancer.sharedBuffer as SharedArrayBuffer;
      this.held.set(w.name, { members: key, buffer });
      out[w.name] = buffer;
    }
    for (const name of [...this.held.keys()]) if (!(name in out)) this.held.delete(name);
    return out;
  }
}
