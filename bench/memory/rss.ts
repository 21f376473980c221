// ajplb's resident memory as the kernel counts it, read from /proc/<pid>/status: VmRSS sampled about once a
// second while a check runs (the figures the acceptance items are about), VmHWM at the end so a peak between
// two samples is not missed.

import { readFileSync } from 'node:fs';
import { statusField } from '../procstat.js';

export interface Sample {
  /** Seconds since the sampler started. */
  sec: number;
  rssMiB: number;
}

/** A `Name:   1234 kB` line of /proc/<pid>/status, in MiB; NaN once the process is gone. */
function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const value = statusField(pid, field);
  return value === undefined ? Number.NaN : Number.parseInt(value, 10) / 1024;
}

export function rssMiB(pid: number): number {
  return statusMiB(pid, 'VmRSS');
}

export function peakMiB(pid: number): number {
  return statusMiB(pid, 'VmHWM');
}

/** The soft RLIMIT_NOFILE a running process has (Node raises its soft limit to the hard one at start). */
export function openFilesLimit(pid: number): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'latin1'));
  if (match === null) throw new Error(`no "Max open files" in /proc/${pid}/limits`);
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

export class RssSampler {
  readonly samples: Sample[] = [];
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly pid: number, intervalMs = 1000) {
    this.take();
    this.timer = setInterval(() => this.take(), intervalMs);
  }

  private take(): void {
    const rss = rssMiB(this.pid);
    if (!Number.isNaN(rss)) this.samples.push({ sec: (Date.now() - this.started) / 1000, rssMiB: rss });
  }

  /** Samples taken from `fromSec` on (inclusive) up to `toSec` (exclusive). */
  between(fromSec: number, toSec = Number.POSITIVE_INFINITY): Sample[] {
    return this.samples.filter((s) => s.sec >= fromSec && s.sec < toSec);
  }

  get elapsedSec(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Idempotent: a cleanup path may stop a sampler the check already stopped. */
  stop(): Sample[] {
    if (this.stopped) return this.samples;
    this.stopped = true;
    clearInterval(this.timer);
    this.take();
    return this.samples;
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function maxOf(samples: readonly Sample[]): number {
  return samples.reduce((max, s) => Math.max(max, s.rssMiB), Number.NEGATIVE_INFINITY);
}

export function minOf(samples: readonly Sample[]): number {
  return samples.reduce((min, s) => Math.min(min, s.rssMiB), Number.POSITIVE_INFINITY);
}

/** Least-squares slope of RSS over time, in MiB per minute: a leak shows as a steady positive trend. */
export function slopePerMinute(samples: readonly Sample[]): number {
  const n = samples.length;
  if (n < 2) return Number.NaN;
  const meanT = samples.reduce((sum, s) => sum + s.sec, 0) / n;
  const meanR = samples.reduce((sum, s) => sum + s.rssMiB, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.sec - meanT) * (s.rssMiB - meanR);
    den += (s.sec - meanT) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}
