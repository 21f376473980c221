// `ajplb` with no arguments: the sample config in conf/demo/ and, for each of its ajp13 workers, an in-process
// demo backend that plays a Tomcat with that jvmRoute. Sessions are shared between the demo backends, as
// DeltaManager replication shares them between the seeds' Tomcats, so stopping one shows failover keeping
// the session. Clearly a demo: every page says so.

import { randomBytes } from 'node:crypto';
import type { DecodedForwardRequest } from '../ajp/container.js';
import type { AppConfig } from '../config/types.js';
import { headerOf, startAjpServer, type AjpReply, type AjpServer } from './ajp-server.js';

interface DemoSession {
  count: number;
  created: number;
}

const sessions = new Map<string, DemoSession>();

export interface DemoBackend {
  route: string;
  host: string;
  port: number;
  server: AjpServer | null;
}

export class DemoBackends {
  readonly backends: DemoBackend[] = [];

  static async start(config: AppConfig): Promise<DemoBackends> {
    const set = new DemoBackends();
    for (const w of config.workers.workers.values()) {
      if (w.type !== 'ajp13') continue;
      const b: DemoBackend = { route: w.route, host: w.host, port: w.port, server: null };
      set.backends.push(b);
      await set.up(b);
    }
    return set;
  }

  async up(b: DemoBackend): Promise<void> {
    if (b.server !== null) return;
    b.server = await startAjpServer({ host: b.host, port: b.port, handler: (req, reply) => this.handle(b, req, reply) });
  }

  async down(b: DemoBackend): Promise<void> {
    const s = b.server;
    b.server = null;
    await s?.close();
  }

  async close(): Promise<void> {
    for (const b of this.backends) await this.down(b);
  }

  private handle(self: DemoBackend, req: DecodedForwardRequest, reply: AjpReply): void {
    if (req.method === 'POST' && req.uri === '/demo/toggle') {
      const route = new URLSearchParams(req.queryString ?? '').get('route');
      const target = this.backends.find((b) => b.route === route);
      // Answer first: the backend being stopped may be the one answering.
      redirect(reply, '/');
      if (target !== undefined) void (target.server === null ? this.up(target) : this.down(target));
      return;
    }
    const { id, session, fresh } = sessionOf(req, self.route);
    session.count++;
    const headers = ['Content-Type', 'text/html; charset=utf-8', 'Cache-Control', 'no-store', 'X-Route', self.route];
    if (fresh || !id.endsWith(`.${self.route}`)) {
      // Like JvmRouteBinderValve: a session served by another node gets that node's route.
      const rebound = `${id.slice(0, id.indexOf('.'))}.${self.route}`;
      sessions.set(rebound, session);
      headers.push('Set-Cookie', `JSESSIONID=${rebound}; Path=/; HttpOnly`);
    }
    reply.sendHeaders(200, headers);
    reply.write(page(self, this.backends, session.count, id));
    reply.end(true);
  }
}

function sessionOf(req: DecodedForwardRequest, route: string): { id: string; session: DemoSession; fresh: boolean } {
  const cookie = headerOf(req, 'cookie') ?? '';
  const match = /(?:^|;\s*)JSESSIONID=([^;]+)/.exec(cookie);
  const existing = match?.[1] !== undefined ? sessions.get(match[1]) : undefined;
  if (match?.[1] !== undefined && existing !== undefined) return { id: match[1], session: existing, fresh: false };
  const id = `${randomBytes(16).toString('hex').toUpperCase()}.${route}`;
  const session = { count: 0, created: Date.now() };
  sessions.set(id, session);
  return { id, session, fresh: true };
}

function redirect(reply: AjpReply, location: string): void {
  reply.sendHeaders(303, ['Location', location, 'Content-Length', '0']);
  reply.end(true);
}

function page(self: DemoBackend, all: DemoBackend[], count: number, id: string): string {
  const rows = all.map((b) => `<tr><td>${b.route}</td><td>127.0.0.1:${b.port}</td><td>${b.server ? 'running' : '<b>stopped</b>'}</td>
<td><form method="post" action="/demo/toggle?route=${encodeURIComponent(b.route)}"><button id="toggle-${b.route}">${b.server ? 'stop' : 'start'}</button></form></td></tr>`).join('\n');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>ajplb demo — ${self.route}</title>
<style>body{font-family:sans-serif;max-width:46em;margin:2em auto}td,th{padding:.3em .8em;text-align:left}.note{color:#666}</style></head>
<body><p class="note">ajplb DEMO — these backends are built into ajplb to show what it does. Point conf/demo/workers.properties at real Tomcats to use your own.</p>
<h1>Served by <span id="route">${self.route}</span></h1>
<p>Session <code id="session">${id}</code>: this page has been seen <b id="count">${count}</b> time(s) in this session.</p>
<p>Reload: the same backend answers (sticky by the <code>.${self.route}</code> suffix). Stop it below and reload: the other one answers and the count goes on (the demo shares sessions between backends, as Tomcat's DeltaManager does).</p>
<table><tr><th>backend (jvmRoute)</th><th>AJP address</th><th>state</th><th></th></tr>
${rows}</table>
<p><a href="/">reload</a> · status page: <a href="/jkstatus">/jkstatus</a> · metrics: <a href="http://127.0.0.1:8081/metrics">admin :8081/metrics</a></p>
</body></html>\n`;
}
