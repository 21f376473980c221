// The status page in a real browser (Debian's Chromium through playwright-core): an operator enters the admin
// token, clicks "stop" on a member, and new traffic avoids that member. Without a configured token the page
// and the API are read-only. ajplb runs in-process (startDaemon + createObservability + the admin handler),
// wired as src/cli.ts wires it.

import { existsSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObservability } from '../../src/observe/index.js';
import { startFront, type FrontFixture } from './front-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 's3cret-token';
const available = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!available && !inCi) console.warn(`skipping the status page browser test: ${CHROMIUM} is missing (apt-get install chromium)`);
// In CI a missing browser fails the run (beforeAll throws) instead of skipping it.
const describeBrowser = available || inCi ? describe : describe.skip;
/** Where the one screenshot goes; kept after the run so a person (or CI artifact upload) can look at it. */
const SCREENSHOT = process.env.AJPLB_SCREENSHOT ?? join(tmpdir(), 'ajplb-status-page.png');

async function adminServer(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: http.Server | undefined): Promise<void> {
  if (server === undefined) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

describeBrowser('status page in Chromium', () => {
  let fx: FrontFixture | undefined;
  let withToken: http.Server | undefined;
  let readOnly: http.Server | undefined;
  let tokenUrl = '';
  let readOnlyUrl = '';
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!available) throw new Error(`${CHROMIUM} is missing and CI=true: the status page browser test must run in CI`);
    let front: FrontFixture | undefined;
    const getRuntime = (): FrontFixture['daemon']['runtime'] => {
      if (front === undefined) throw new Error('not started');
      return front.daemon.runtime;
    };
    const obs = createObservability({ getRuntime, isDraining: () => false, adminToken: TOKEN, version: 'test', accessLog: false, logLevel: 'silent', defaultMetrics: false });
    // The same daemon seen through an admin listener started without --admin-token: ajplb's default.
    const plain = createObservability({ getRuntime, isDraining: () => false, version: 'test', accessLog: false, logLevel: 'silent', defaultMetrics: false });
    front = fx = await startFront(['b1', 'b2'], '', { observer: obs.observer });
    obs.applyOverrides(front.daemon.runtime);
    ({ server: withToken, url: tokenUrl } = await adminServer(obs.adminHandler));
    ({ server: readOnly, url: readOnlyUrl } = await adminServer(plain.adminHandler));
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run'],
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await closeServer(withToken);
    await closeServer(readOnly);
    await fx?.close();
  });

  it('is read-only by default: actions refused with 403, no action buttons on the page', async () => {
    const res = await request(`${readOnlyUrl}/api/lb/lb/member/b1/stop`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(403);
    expect(await res.body.json()).toMatchObject({ error: expect.stringContaining('--admin-token') });
    // With a token configured, a request without it is refused too (401, the page asks for it again).
    const noHeader = await request(`${tokenUrl}/api/lb/lb/member/b1/stop`, { method: 'POST' });
    expect(noHeader.statusCode).toBe(401);
    await noHeader.body.dump();

    const page = await browser!.newPage();
    try {
      await page.goto(`${readOnlyUrl}/status`);
      await page.waitForSelector('body[data-ready="1"]');
      await page.waitForSelector('tr#member-lb-b1[data-activation="ACT"]');
      expect(await page.locator('button[data-action]').count()).toBe(0);
      expect(await page.locator('#token-form').isVisible()).toBe(false);
      expect(await page.getAttribute('body', 'data-actions')).toBe('0');
    } finally {
      await page.close();
    }
    const status = await (await request(`${readOnlyUrl}/api/status`)).body.json() as { lbs: Array<{ members: Array<{ name: string; activation: string }> }> };
    expect(status.lbs[0]!.members.map((m) => m.activation)).toEqual(['ACT', 'ACT']);
  });

  it('stops a member with a click once the token is entered, and traffic avoids it', async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await page.goto(`${tokenUrl}/status`);
      await page.waitForSelector('body[data-ready="1"]');
      // No buttons until the operator has given the token.
      expect(await page.locator('button[data-action]').count()).toBe(0);
      await page.fill('#admin-token', TOKEN);
      await page.click('#admin-token-save');
      await page.waitForSelector('body[data-actions="1"]');
      await page.click('#member-lb-b1-stop');
      await page.waitForSelector('tr#member-lb-b1[data-activation="STP"]', { timeout: 10_000 });
      expect(await page.getAttribute('tr#member-lb-b2', 'data-activation')).toBe('ACT');
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`status page screenshot: ${SCREENSHOT}`);
    } finally {
      await page.close();
    }
    const routes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await request(`${fx!.base}/x`);
      expect(res.statusCode).toBe(200);
      routes.push(String(res.headers['x-route']));
      await res.body.dump();
    }
    expect(routes.filter((r) => r !== 'b2')).toEqual([]);
    expect(routes).toHaveLength(20);
  });
});
