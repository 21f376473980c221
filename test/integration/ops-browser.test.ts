// The status page in a real browser (Debian's Chromium through playwright-core): an operator enters the admin
// token, clicks "stop" on a member, and new traffic avoids that member.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
const available = existsSync(CHROMIUM);
if (!available && process.env.CI !== 'true') console.warn(`skipping the status page browser test: ${CHROMIUM} is missing (apt-get install chromium)`);
// In CI a missing browser fails the run instead of skipping it.
const describeBrowser = available || process.env.CI === 'true' ? describe : describe.skip;

describeBrowser('status page in Chromium', () => {
  let fx: FrontFixture;
  let admin: http.Server;
  let adminUrl = '';
  let browser: Browser;
  let profile: string;

  beforeAll(async () => {
    let getRuntime = (): FrontFixture['daemon']['runtime'] => { throw new Error('not started'); };
    const obs = createObservability({ getRuntime: () => getRuntime(), isDraining: () => false, adminToken: 's3cret', version: 'test', accessLog: false, logLevel: 'silent' });
    fx = await startFront(['b1', 'b2'], '', { observer: obs.observer });
    getRuntime = () => fx.daemon.runtime;
    admin = http.createServer(obs.adminHandler);
    await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
    adminUrl = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'ajplb-chromium-'));
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--no-first-run'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => admin?.close(resolve));
    await fx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('refuses actions without the token (read-only by default)', async () => {
    const res = await request(`${adminUrl}/api/lb/lb/member/b1/stop`, { method: 'POST' });
    expect(res.statusCode).toBe(401);
    await res.body.dump();
    const page = await browser.newPage();
    await page.goto(`${adminUrl}/status`);
    await page.waitForSelector('body[data-ready="1"]');
    expect(await page.locator('button[data-action]').count()).toBe(0);
    await page.close();
  });

  it('stops a member with a click, and traffic avoids it', async () => {
    const page = await browser.newPage();
    await page.goto(`${adminUrl}/status`);
    await page.waitForSelector('body[data-ready="1"]');
    await page.fill('#admin-token', 's3cret');
    await page.click('#admin-token-save');
    await page.click('#member-lb-b1-stop');
    await page.waitForSelector('tr#member-lb-b1[data-activation="STP"]', { timeout: 10_000 });
    await page.screenshot({ path: join(profile, 'status.png') });
    await page.close();
    const routes = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await request(`${fx.base}/x`);
      routes.add(String(res.headers['x-route']));
      await res.body.dump();
    }
    expect([...routes]).toEqual(['b2']);
  });
});
