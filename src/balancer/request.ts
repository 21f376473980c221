// mod_jk's lb service loop (jk_lb_worker.c service) as a small state machine, so the forwarder only
// does the I/O and the waiting:
//
//   const r = new LbRequest(lb, req);          // or r.reset(req) to reuse one
//   for (let step = r.next(); step !== 'done' && step !== 'fail'; step = r.next()) {
//     if (step === 'wait') { await sleep(r.waitMs); continue; }
//     // step === 'try': r.member, r.route, r.sticky
//     if (!pool.hasSlot(r.member)) { r.noSlot(); continue; }
//     if (!r.begin()) continue;                  // busy_limit reached
//     r.end(outcome, progress, bytesIn, bytesOut);
//   }
//   if (r.status) respond with r.status        // 503 / 504 / 502 / 400 as mod_jk would
//
// Per-member retries on the same backend (ajp `retries`) stay the forwarder's business.

import type { Balancer } from './balancer.js';
import { type AttemptProgress, clearTried, emptyTried, httpStatusFor, markTried, type Outcome, type TriedMask, unmarkTried } from './retry.js';
import type { PickRequest } from './selection.js';

export type Step = 'try' | 'wait' | 'done' | 'fail';

export class LbRequest {
  member = -1;
  route = '';
  sticky = false;
  /** Final HTTP status on 'fail' (mod_jk is_error); 0 on 'done'. */
  status = 0;
  waitMs = 0;
  /** The outcome that ended the request, or null when it ended for lack of a usable member. */
  lastOutcome: Outcome | null = null;
  private tried: TriedMask;
  private attempt = 0;
  private pass = 0;
  private forced = false;
  private began = false;
  private waiting = false;
  private over: Step | null = null;

  constructor(
    private readonly lb: Balancer,
    private req: PickRequest,
  ) {
    this.tried = emptyTried(lb.n);
    lb.refreshBusy();
  }

  reset(req: PickRequest): void {
    this.req = req;
    this.tried = clearTried(this.tried);
    this.member = -1;
    this.route = '';
    this.sticky = false;
    this.status = 0;
    this.waitMs = 0;
    this.lastOutcome = null;
    this.attempt = 0;
    this.pass = 0;
    this.forced = false;
    this.began = false;
    this.waiting = false;
    this.over = null;
    this.lb.refreshBusy();
  }

  next(): Step {
    if (this.over !== null) return this.over;
    const lb = this.lb;
    if (this.waiting) {
      // After the pause mod_jk re-reads shared state: members failed locally get another chance.
      this.waiting = false;
      this.tried = clearTried(this.tried);
      this.attempt = 0;
      lb.refreshBusy();
    }
    for (;;) {
      if (this.attempt >= lb.retry.membersPerPass) {
        this.pass++;
        if (this.pass >= lb.retry.passes) return this.finish('fail', this.status || 503);
        this.waiting = true;
        this.waitMs = lb.retry.intervalMs;
        return 'wait';
      }
      const r = lb.pick(this.req, this.tried);
      if (r.member >= 0) {
        this.member = r.member;
        this.route = r.route;
        this.sticky = r.sticky;
        this.status = 503;
        return 'try';
      }
      if (!this.forced) {
        // Force recovery once per request; if it freed someone, pick again without counting an attempt.
        this.forced = true;
        if (lb.forceRecoveryAll() > 0) {
          for (let m = 0; m < lb.n; m++) if (lb.forcedMember(m)) this.tried = unmarkTried(this.tried, m);
          continue;
        }
      }
      this.status = 503;
      this.lastOutcome = null;
      this.attempt++;
    }
  }

  /** The member's pool is full: it becomes BUSY and this request moves on. */
  noSlot(): void {
    this.lb.markBusy(this.member);
    this.failed('busy');
  }

  /** About to send. False when busy_limit is reached (member BUSY, this request moves on). */
  begin(): boolean {
    if (this.lb.begin(this.member, this.req)) {
      this.began = true;
      return true;
    }
    this.failed('busy');
    return false;
  }

  end(outcome: Outcome, progress: AttemptProgress, bytesIn = 0, bytesOut = 0): void {
    if (this.began) this.lb.end(this.member, outcome, bytesIn, bytesOut);
    this.began = false;
    this.lastOutcome = outcome;
    if (outcome === 'ok') {
      this.finish('done', 0);
      return;
    }
    if (!this.lb.mayRetry(this.member, outcome, progress)) {
      this.finish('fail', httpStatusFor(outcome));
      return;
    }
    this.failed(outcome);
  }

  private failed(outcome: Outcome): void {
    this.lastOutcome = outcome;
    this.status = httpStatusFor(outcome);
    this.tried = markTried(this.tried, this.member);
    this.attempt++;
  }

  private finish(step: Step, status: number): Step {
    this.over = step;
    this.status = status;
    return step;
  }
}
