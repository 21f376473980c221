// Several listening sockets per front address (src/front/acceptors.ts), on the Node the image runs (>= 22.12,
// where SO_REUSEPORT can be bound): the sockets really exist and all serve, and SO_REUSEPORT does not turn a
// port conflict into silent sharing.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCEPTORS } from '../../src/front/acceptors.js';
import { routedHandler } from './front-helpers.js';
import { CLI, runCleanups, startBackends, startCli, tempDir, workersFile, writeWorkers, type Cleanup } from './ops-helpers.js';
import { reuseportNode } from './reuseport-node.js';

const cleanups: Cleanup[] = [];
afterEach(() => runCleanups(cleanups));

/** Listening TCP sockets on 127.0.0.1:port, from the kernel's table. */
function listenersOn(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'utf8').split('\n').filter((line) => {
    const f = line.trim().split(/\s+/);
    return f[1] === local && f[3] === '0A';
  }).length;
}

async function workers(): Promise<string> {
  const [backend] = await startBackends(cleanups, [routedHandler('was1')]);
  const file = join(tempDir(cleanups), 'workers.properties');
  writeWorkers(file, workersFile([['was1', backend!.port, 1]]));
  return file;
}

describe('listening sockets per address', () => {
  it(`binds ${ACCEPTORS} sockets to the front address and answers through all of them`, async () => {
    const cli = await startCli(cleanups, await workers(), [], { node: reuseportNode() });
    expect(listenersOn(cli.port)).toBe(ACCEPTORS);
    // New connections spread over the sockets by hash: were one socket not served, some of 40 would hang.
    const agent = new Agent({ pipelining: 0, connections: 1 });
    cleanups.push(() => agent.close());
    for (let i = 0; i < 40; i++) {
      const res = await request(`http://127.0.0.1:${cli.port}/status/200`, { dispatcher: agent, reset: true });
      await res.body.text();
      expect(res.statusCode).toBe(200);
    }
  });

  it('refuses to start on a port another ajplb already serves, instead of sharing it', async () => {
    const file = await workers();
    const first = await startCli(cleanups, file, [], { node: reuseportNode() });
    const second = spawn(reuseportNode(), [CLI, '--workers', file, '--mount', '/*=lb', '--listen', `127.0.0.1:${first.port}`,
      '--admin', 'off', '--access-log', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => {
      if (second.exitCode === null && second.signalCode === null) second.kill('SIGKILL');
    });
    let output = '';
    // Either it exits, or it says it is listening: the outcome this test exists to catch.
    const outcome = await new Promise<string>((resolve) => {
      const onData = (d: Buffer): void => {
        output += d.toString();
        if (output.includes('"listening"')) resolve('listening');
      };
      second.stdout.on('data', onData);
      second.stderr.on('data', onData);
      second.once('exit', (c) => resolve(`exit ${c}`));
    });
    expect(outcome, output).toMatch(/^exit [1-9]/);
    expect(output).toContain('EADDRINUSE');
    expect(listenersOn(first.port)).toBe(ACCEPTORS);
  });
});
