import { createConnection, createServer, type Server } from 'node:net';

const CPING = Buffer.from([0x12, 0x34, 0x00, 0x01, 0x0a]);
const CPONG = Buffer.from([0x41, 0x42, 0x00, 0x01, 0x09]);

/** Distinct free loopback ports, all held open together so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/**
 * One AJP CPing on a fresh connection: true only when the CPong arrives. Tomcat binds the AJP port while
 * webapps still deploy, so an accepted connection alone does not mean the connector serves requests.
 */
export function cping(port: number, timeoutMs = 1000): Promise<boolean> {
  return exchange(port, CPING, timeoutMs, (received) =>
    received.length < CPONG.length ? undefined : received.subarray(0, CPONG.length).equals(CPONG),
  );
}

/** A minimal HTTP/1.1 request; true when any status line comes back. */
export function httpAnswers(port: number, timeoutMs = 1000): Promise<boolean> {
  const request = Buffer.from('HEAD /static/64.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
  return exchange(port, request, timeoutMs, (received) => {
    const text = received.toString('latin1');
    if (!text.includes('\r\n')) return undefined;
    return /^HTTP\/1\.1 \d{3}/.test(text);
  });
}

function exchange(
  port: number,
  request: Buffer,
  timeoutMs: number,
  verdict: (received: Buffer) => boolean | undefined,
): Promise<boolean> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const socket = createConnection({ host: '127.0.0.1', port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const result = verdict(received);
      if (result !== undefined) finish(result);
    });
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(verdict(received) ?? false));
  });
}

/** Polls `condition` until it returns true or `deadline` (Date.now() based) passes; then throws `describe()`. */
export async function pollUntil(
  condition: () => boolean | Promise<boolean>,
  deadline: number,
  describe: () => string | Promise<string>,
  intervalMs = 50,
): Promise<void> {
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(await describe());
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
