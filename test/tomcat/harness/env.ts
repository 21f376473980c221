import { existsSync, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** Debian's tomcat10-common + libtomcat10-java layout; CATALINA_HOME overrides it. */
export const CATALINA_HOME = process.env['CATALINA_HOME'] ?? '/usr/share/tomcat10';
export const CATALINA_SH = join(CATALINA_HOME, 'bin', 'catalina.sh');
export const TOMCAT_LIB = join(CATALINA_HOME, 'lib');

function onPath(command: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

/** dirname(dirname(realpath(which java))), as catalina.sh wants JAVA_HOME. */
export function javaHome(): string | undefined {
  if (process.env['JAVA_HOME'] && existsSync(join(process.env['JAVA_HOME'], 'bin', 'javac'))) {
    return process.env['JAVA_HOME'];
  }
  const java = onPath('java');
  return java === undefined ? undefined : dirname(dirname(realpathSync(java)));
}

export function tomcatAvailable(): { ok: true } | { ok: false; reason: string } {
  const home = javaHome();
  if (home === undefined) return { ok: false, reason: 'no java on PATH' };
  if (!existsSync(join(home, 'bin', 'javac'))) return { ok: false, reason: `no javac in ${home}/bin (need a JDK)` };
  const needed = [CATALINA_SH, ...['catalina.jar', 'catalina-ha.jar', 'catalina-tribes.jar', 'servlet-api.jar',
    'jasper.jar'].map((jar) => join(TOMCAT_LIB, jar))];
  const missing = needed.filter((file) => !existsSync(file));
  if (missing.length > 0) {
    return { ok: false, reason: `Tomcat 10.1 not installed (missing ${missing.join(', ')}); apt-get install tomcat10-common libtomcat10-java` };
  }
  return { ok: true };
}
