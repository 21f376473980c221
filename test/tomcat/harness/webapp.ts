import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TOMCAT_LIB } from './env.js';

const run = promisify(execFile);

/** Sources of the test webapp: java/ (compiled into WEB-INF/classes) and root/ (copied as is). */
const SOURCE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'webapp');
/** Bump when the generated files below change, so cached builds are not reused. */
const BUILD_VERSION = '1';

/** Byte i of /bytes and of the generated static .bin files; tests recompute it to verify bodies. */
export function patternByte(i: number): number {
  return (i * 31 + 7) & 0xff;
}

export function patternBytes(size: number, offset = 0): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = patternByte(offset + i);
  return buf;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function sourceHash(): string {
  const hash = createHash('sha256').update(BUILD_VERSION);
  for (const file of listFiles(SOURCE_DIR)) hash.update(relative(SOURCE_DIR, file)).update('\0').update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

async function build(javaHome: string, target: string): Promise<void> {
  const staging = mkdtempSync(join(tmpdir(), 'ajplb-webapp-build-'));
  try {
    cpSync(join(SOURCE_DIR, 'root'), staging, { recursive: true });
    const classes = join(staging, 'WEB-INF', 'classes');
    mkdirSync(classes, { recursive: true });
    const sources = listFiles(join(SOURCE_DIR, 'java')).filter((file) => file.endsWith('.java'));
    await run(join(javaHome, 'bin', 'javac'), [
      '-encoding', 'UTF-8', '-nowarn', '-cp', join(TOMCAT_LIB, 'servlet-api.jar'), '-d', classes, ...sources,
    ]);
    const statics = join(staging, 'static');
    mkdirSync(statics, { recursive: true });
    writeFileSync(join(statics, '64.txt'), `${'0123456789abcdef'.repeat(4).slice(0, 63)}\n`);
    writeFileSync(join(statics, '100k.bin'), patternBytes(100 * 1024));
    writeFileSync(join(statics, '1m.bin'), patternBytes(1024 * 1024));
    try {
      // Atomic publish: a concurrent builder (another test file's process) either wins or loses the rename.
      renameSync(staging, target);
    } catch (err) {
      if (!existsSync(target)) throw err;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

const builds = new Map<string, Promise<string>>();

/**
 * The compiled webapp, built once per source hash and kept in os.tmpdir() across runs (javac costs ~1 s).
 * Returns the directory to copy as webapps/ROOT.
 */
export function webappTemplate(javaHome: string): Promise<string> {
  const target = join(tmpdir(), `ajplb-webapp-${sourceHash()}`);
  let pending = builds.get(target);
  if (pending === undefined) {
    pending = existsSync(target) ? Promise.resolve(target) : build(javaHome, target).then(() => target);
    pending.catch(() => builds.delete(target));
    builds.set(target, pending);
  }
  return pending;
}

/** Copies the webapp into base/webapps/ROOT and adds the caller's extra files (JSPs...). */
export async function installWebapp(
  javaHome: string,
  base: string,
  extraFiles: Record<string, string> = {},
): Promise<void> {
  const root = join(base, 'webapps', 'ROOT');
  rmSync(root, { recursive: true, force: true });
  cpSync(await webappTemplate(javaHome), root, { recursive: true });
  for (const [path, content] of Object.entries(extraFiles)) {
    const file = resolve(root, path.replace(/^\/+/, ''));
    if (!file.startsWith(root + sep)) throw new Error(`extraJsp path escapes the webapp: ${path}`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}
