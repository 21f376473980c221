// A Tomcat that is down, on a port in the kernel's ephemeral range (where the test harness puts them): connecting
// to it, Linux may choose that port as the source and connect the socket to itself. ajplb must neither use such
// a socket nor leave it holding the port, or the restarted Tomcat cannot bind.

import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectAjp, connectedToItself } from '../../src/ajp/connection.js';
import { AjpError } from '../../src/ajp/errors.js';

const OPTIONS = { maxPacketSize: 8192, replyTimeoutMs: 0, socketTimeoutMs: 0, connectTimeoutMs: 2000, keepAlive: false };

const sockets: net.Socket[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function listen(port: number): Promise<NodeJS.ErrnoException | null> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', resolve);
    server.listen(port, '127.0.0.1', () => {
      servers.push(server);
      resolve(null);
    });
  });
}

/** An even port (Linux's connect() tries even ones, bind(0) odd ones) in the ephemeral range that is free now. */
async function freeEvenEphemeralPort(): Promise<number> {
  for (;;) {
    const port = 2 * Math.floor((33000 + Math.random() * 27000) / 2);
    if ((await listen(port)) === null) {
      await new Promise((resolve) => servers.pop()!.close(resolve));
      return port;
    }
  }
}

/** States (hex, as the kernel writes them) of IPv4 sockets from 127.0.0.1:local to 127.0.0.1:remote. */
function socketsBetween(local: number, remote: number): string[] {
  const end = (port: number): string => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1] === end(local) && f[2] === end(remote))
    .map((f) => f[3] as string);
}

function connected(socket: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
}

function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('a socket connected to itself', () => {
  it('is recognised', async () => {
    const port = await freeEvenEphemeralPort();
    const self = net.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.1', localPort: port });
    sockets.push(self);
    await connected(self);
    expect(connectedToItself(self)).toBe(true);
  });

  it('is not what a connection to a listener is', async () => {
    expect(await listen(0)).toBeNull();
    const { port } = servers[0]!.address() as net.AddressInfo;
    const socket = net.connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    await connected(socket);
    expect(connectedToItself(socket)).toBe(false);
  });

  it('connectAjp to a port nobody listens on always fails, and leaves the port free for Tomcat', async () => {
    const port = await freeEvenEphemeralPort();
    let toItself = 0;
    // Linux walks the even source ports for one destination in steps of two, so it reaches the destination's
    // own port within a few tens of thousands of attempts (0.25 ms each); the self-connection is refused and reset.
    for (let attempt = 0; toItself === 0 && attempt < 60_000; attempt++) {
      const err = await connectAjp('127.0.0.1', port, OPTIONS).then((conn) => {
        conn.destroy();
        return null;
      }, (e: unknown) => e);
      expect(err, `attempt ${attempt} got a connection`).toBeInstanceOf(AjpError);
      if ((err as AjpError).message.includes('connected the socket to itself')) toItself++;
    }
    expect(toItself, 'the kernel never connected a socket to itself: this test proved nothing').toBe(1);
    // A closed (not reset) self-connection would hold the port in TIME_WAIT for a minute, and Tomcat could not
    // listen on it. (Listening here instead would race other tests' connections taking the port as theirs.)
    expect(socketsBetween(port, port)).toEqual([]);
  });
});
