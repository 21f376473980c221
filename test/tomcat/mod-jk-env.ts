// The comparison with the real Apache + mod_jk needs Debian's apache2 and libapache2-mod-jk besides Tomcat.
// As for Tomcat alone: skipped with a warning on a developer's machine without them, a failure under CI=true.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'vitest';
import { APACHE_BIN, MODULES } from '../../bench/apache.js';
import { tomcatAvailable } from './harness/index.js';

export function modJkAvailable(): { ok: true } | { ok: false; reason: string } {
  const tomcat = tomcatAvailable();
  if (!tomcat.ok) return tomcat;
  const missing = [APACHE_BIN, join(MODULES, 'mod_jk.so'), join(MODULES, 'mod_mpm_event.so')].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    return { ok: false, reason: `Apache + mod_jk not installed (missing ${missing.join(', ')}); apt-get install apache2 libapache2-mod-jk` };
  }
  return { ok: true };
}

function pickDescribe(): typeof describe {
  const available = modJkAvailable();
  if (available.ok || process.env['CI'] === 'true') return describe;
  console.warn(`[mod_jk parity] skipping: ${available.reason}`);
  return describe.skip as unknown as typeof describe;
}

export const describeModJk: typeof describe = pickDescribe();
