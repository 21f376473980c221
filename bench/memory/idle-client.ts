// The idle check's client, in its own process so its 10,000 sockets and their memory are not the bench's (nor
// ajplb's). `node idle-client.js PORT COUNT request|silent`: opens COUNT connections to 127.0.0.1:PORT, at most
// OPENING at a time so the listen queue never overflows; in `request` mode each sends one keep-alive GET and
// reads the whole answer, in `silent` mode it sends nothing. Then it holds them all and prints
// `HELD <held> <failed>`. On a `CHECK` line on stdin it prints `STILL <open> <closed>`; when stdin closes (the
// bench is done or gone) it closes everything and exits.

import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

const OPENING = 200;
const REQUEST = 'GET /status?code=200 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

const [port, count, mode] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
if (!Number.isInteger(port) || !Number.isInteger(count) || (mode !== 'request' && mode !== 'silent')) {
  process.stderr.write('usage: idle-client PORT COUNT request|silent\n');
  process.exit(2);
}

const sockets: Socket[] = [];
let held = 0;
let failed = 0;
let closed = 0;
let started = 0;
let firstError = '';

/** True once the buffered bytes hold a status line, headers and the Content-Length body. */
function answered(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
  return length !== null && text.length - (end + 4) >= Number(length[1]);
}

function settle(ok: boolean, why = ''): void {
  if (ok) held++;
  else {
    failed++;
    if (firstError === '') firstError = why;
  }
  if (held + failed === count) process.stdout.write(`HELD ${held} ${failed}${firstError === '' ? '' : ` ${firstError}`}\n`);
  else openNext();
}

function open(): void {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let settled = false;
  const once = (ok: boolean, why?: string): void => {
    if (settled) return;
    settled = true;
    settle(ok, why);
  };
  socket.once('error', (err) => once(false, err.message));
  socket.once('close', () => {
    closed++;
    once(false, 'closed before the answer');
  });
  socket.once('connect', () => {
    if (mode === 'silent') return once(true);
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!settled && answered(text)) once(/^HTTP\/1\.1 200 /.test(text), `answer: ${text.split('\r\n')[0]}`);
    });
    socket.write(REQUEST);
  });
}

function openNext(): void {
  if (started >= count) return;
  started++;
  open();
}

for (let i = 0; i < Math.min(OPENING, count); i++) openNext();

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line.trim() === 'CHECK') process.stdout.write(`STILL ${sockets.length - closed} ${closed}\n`);
});
commands.on('close', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
