// What each measurement sends. Paths exist in the Tomcat test webapp and in the light backend alike.

export interface Scenario {
  id: string;
  label: string;
  path: string;
  method: 'GET' | 'POST';
  bodyBytes?: number;
  /** Send a sticky session cookie (one per Tomcat, one per wrk thread). */
  session: boolean;
  keepAlive: boolean;
  connections: number;
  /** Minimum response body size: a run moving fewer bytes per request is reported as a failure. */
  minBodyBytes: number;
  /**
   * Requests per second offered in all (h2load --rps), instead of as many as the front can take. At saturation
   * Tomcat spends less CPU per request the harder it is driven (its threads sleep less), so only at one offered
   * load do the fronts' and the backend's CPU per request, and latency, compare like for like.
   */
  rate?: number;
  /**
   * Both fronts write an access log to a file, as production runs them (Debian's Apache has CustomLog on):
   * ajplb --access-log FILE (JSON lines), Apache CustomLog FILE combined. Off on every other row, for both.
   */
  accessLog?: boolean;
}

interface Kind {
  id: string;
  label: string;
  path: string;
  method?: 'POST';
  bodyBytes?: number;
  session?: boolean;
  minBodyBytes: number;
}

const KINDS: Record<string, Kind> = {
  get: { id: 'get', label: 'GET small dynamic', path: '/status?code=200', minBodyBytes: 16 },
  session: { id: 'session', label: 'GET /session, sticky cookie', path: '/session', session: true, minBodyBytes: 30 },
  '100k': { id: '100k', label: 'GET 100 KiB static', path: '/static/100k.bin', minBodyBytes: 100 * 1024 },
  '1m': { id: '1m', label: 'GET 1 MiB static', path: '/static/1m.bin', minBodyBytes: 1024 * 1024 },
  post: { id: 'post', label: 'POST 1 MiB /upload', path: '/upload', method: 'POST', bodyBytes: 1024 * 1024, minBodyBytes: 30 },
};

function make(kind: Kind, connections: number, keepAlive = true, rate?: number, accessLog = false): Scenario {
  const suffix = `c${connections}${keepAlive ? '' : '-close'}${rate === undefined ? '' : `-r${rate}`}${accessLog ? '-log' : ''}`;
  const offered = rate === undefined ? '' : `, ${rate.toLocaleString('en-US')} req/s offered`;
  return {
    id: `${kind.id}-${suffix}`,
    label: `${kind.label}, ${connections} conn${keepAlive ? '' : ', Connection: close'}${offered}${accessLog ? ', access log on' : ''}`,
    path: kind.path, method: kind.method ?? 'GET', bodyBytes: kind.bodyBytes, session: kind.session ?? false,
    keepAlive, connections, minBodyBytes: kind.minBodyBytes, rate, accessLog,
  };
}

const K = KINDS as Record<'get' | 'session' | '100k' | '1m' | 'post', Kind>;

/** --quick: enough to see every front answer, nothing timed. */
export const QUICK: Scenario[] = [make(K.get, 64), make(K['100k'], 64)];

/**
 * In every matrix: a new connection per request, two offered-rate rows that stay below what every front
 * serves on a 2-vCPU machine, so all of them see the same load, and small GETs with the access log on.
 */
const ALWAYS: Scenario[] = [
  make(K.get, 64, false), make(K.get, 64, true, 4000), make(K.post, 16, true, 100), make(K.get, 64, true, undefined, true),
];

/**
 * The default matrix, sized so three interleaved rounds over both backends fit in ~40 minutes on 2 cores:
 * connection counts are swept where the per-request cost of the front dominates (small requests).
 */
export const DEFAULT: Scenario[] = [
  make(K.get, 16), make(K.get, 64), make(K.get, 256),
  make(K.session, 16), make(K.session, 64), make(K.session, 256),
  make(K['100k'], 64), make(K['1m'], 64), make(K.post, 16),
  ...ALWAYS,
];

/** --all-conns: every kind at 16, 64 and 256 connections (about 60 % longer). */
export const ALL: Scenario[] = [...Object.values(K).flatMap((kind) => [16, 64, 256].map((c) => make(kind, c))), ...ALWAYS];
