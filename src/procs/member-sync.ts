// "A member down for one process is down for all": each worker reports the ERR transitions its balancers
// make and adopts the ones its peers report. Only ERR and the way back out travel; activation and lbfactor
// changes go to every process as status-page actions (see actions.ts), and lb values stay per process (each
// process's own round robin keeps its share of the traffic split as configured, so the sum is too).

import { ST } from '../balancer/index.js';
import type { TargetSet } from '../front/targets.js';
import type { MemberEvent } from './messages.js';

interface Known {
  state: 'err' | 'ok';
  atMs: number;
}

const NOT_KNOWN: Known = { state: 'ok', atMs: 0 };

export class MemberSync {
  /** What the peers were last told (or told us) about each member, by `lb\0member`. */
  private readonly known = new Map<string, Known>();
  private scheduled = false;
  /** Members last seen in ERR here: while there are any, finished requests trigger a check (recovery). */
  errMembers = 0;

  constructor(
    private readonly targets: () => TargetSet,
    private readonly send: (events: MemberEvent[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The changes since the last call: ERR (with its time) and the return from ERR to serving. */
  collect(): MemberEvent[] {
    const out: MemberEvent[] = [];
    let err = 0;
    for (const lb of this.targets().balancers) {
      const b = lb.balancer;
      for (let i = 0; i < b.n; i++) {
        const key = `${lb.name}\0${b.names[i]}`;
        const k = this.known.get(key) ?? NOT_KNOWN;
        const s = b.state(i);
        if (s === ST.ERROR) {
          err++;
          const at = b.lastErrorAt(i);
          if (k.state !== 'err' || at > k.atMs) out.push(this.note(key, lb.name, b.names[i]!, 'err', at));
        } else if ((s === ST.OK || s === ST.IDLE || s === ST.BUSY) && k.state === 'err') {
          out.push(this.note(key, lb.name, b.names[i]!, 'ok', this.now()));
        }
        // REC, FRC and PRB are on their way out of ERR: nothing to tell until the probe decides.
      }
    }
    this.errMembers = err;
    return out;
  }

  /** Adopts what a peer saw; never reported back (no echo), since `known` already says it. */
  apply(events: readonly MemberEvent[]): void {
    const targets = this.targets();
    for (const e of events) {
      const t = targets.byName.get(e.lb);
      if (t?.kind !== 'lb') continue;
      const b = t.balancer;
      const i = b.indexOf(e.member);
      if (i < 0) continue;
      const key = `${e.lb}\0${e.member}`;
      if (e.state === 'err') {
        b.adoptError(i, e.atMs);
        // A newer local error that has not escalated leaves the member serving here: still 'ok' to tell.
        if (b.state(i) === ST.ERROR) {
          this.known.set(key, { state: 'err', atMs: b.lastErrorAt(i) });
          this.errMembers++;
        }
      } else {
        // A peer got an answer from it: try it here too (ERR -> REC), unless we saw it fail since.
        if (b.state(i) === ST.ERROR && b.lastErrorAt(i) <= e.atMs) b.forceRecovery(i);
        if (b.state(i) !== ST.ERROR) this.known.set(key, { state: 'ok', atMs: e.atMs });
      }
    }
  }

  /** After a failed attempt (and, while a member is ERR, after every request): check once this turn. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  flush(): void {
    const events = this.collect();
    if (events.length > 0) this.send(events);
  }

  private note(key: string, lb: string, member: string, state: 'err' | 'ok', atMs: number): MemberEvent {
    this.known.set(key, { state, atMs });
    return { lb, member, state, atMs };
  }
}
