// The short answers ajplb gives itself, when no backend answer can be passed on.

import { STATUS_CODES, type ServerResponse } from 'node:http';

const BODIES = new Map<number, Buffer>();

function bodyFor(status: number): Buffer {
  let body = BODIES.get(status);
  if (body === undefined) {
    const text = STATUS_CODES[status] ?? 'Error';
    body = Buffer.from(`<!DOCTYPE html>\n<html><head><title>${status} ${text}</title></head><body><h1>${status} ${text}</h1><p>ajplb</p></body></html>\n`);
    BODIES.set(status, body);
  }
  return body;
}

/** Answers with a small HTML error page unless the response has already started. */
export function sendError(res: ServerResponse, status: number, extraHeaders?: Record<string, string>): void {
  if (res.headersSent || res.destroyed) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const body = bodyFor(status);
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(body.length),
    ...(status === 400 || status === 431 || status === 414 ? { Connection: 'close' } : {}),
    ...extraHeaders,
  });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
