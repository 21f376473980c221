// `--check`'s reachability pass: one CPing per ajp13 worker, as an operator would `telnet host 8009`, so a
// port typo (seed 002: 8111 for 8011) shows up before traffic does. Only a warning: mod_jk starts anyway.

import { connectAjp } from './ajp/connection.js';
import type { AppConfig, SourceRef } from './config/types.js';

export async function probeWorkers(config: AppConfig, timeoutMs = 2000): Promise<string[]> {
  const checks: Array<Promise<string>> = [];
  for (const w of config.workers.workers.values()) {
    if (w.type !== 'ajp13' || w.port === 0) continue;
    checks.push(probeOne(w.name, w.host, w.port, w.defined, timeoutMs));
  }
  return Promise.all(checks);
}

async function probeOne(name: string, host: string, port: number, at: SourceRef, timeoutMs: number): Promise<string> {
  const where = `${at.file}:${at.line}`;
  try {
    const conn = await connectAjp(host, port, {
      maxPacketSize: 8192, replyTimeoutMs: 0, socketTimeoutMs: 0, connectTimeoutMs: timeoutMs, keepAlive: false,
    });
    try {
      await conn.pingAsync(timeoutMs);
      return `${where}: worker ${name} (${host}:${port}) answers CPing`;
    } finally {
      conn.destroy();
    }
  } catch (err) {
    return `${where}: warning: worker ${name} (${host}:${port}) does not answer a CPing: ${(err as Error).message} — check worker.${name}.host and worker.${name}.port`;
  }
}
