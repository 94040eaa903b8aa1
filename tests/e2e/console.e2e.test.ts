/**
 * The operator console in a real browser: headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core) against the service on real PostgreSQL + Redis, with a generated storefront
 * imported, trained and published, an A/B experiment configured and some feedback recorded.
 * Checks the token flow, the models table, a user lookup (rec cards match the debug API, pixels
 * on screen), an item lookup, the segments and the A/B report, and that ids are escaped.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import type http from 'http';
import type { AddressInfo } from 'net';
import request from 'supertest';
import type { Browser, Page } from 'playwright-core';
import { openTestStack, type TestStack } from '../helpers/stack';
import { createHttpServer } from '../../src/http/httpServer';
import { launchChromium, pixelStats } from '../helpers/browser';
import { generateStorefront } from '../../src/sample/storefront';

const TOKEN = 'secret';
const HOSTILE_ID = `<img src=x onerror="window.__xss=1">"&'<b>`;

/** Browser globals used inside page.evaluate (the tests compile without the DOM lib). */
interface InPage {
  sessionStorage: Record<string, string> & { length: number; setItem(k: string, v: string): void };
  document: { querySelector(selector: string): { textContent: string | null } | null };
  __xss?: number;
}

interface DebugUser {
  userId: string;
  segment: string;
  recommendations: Array<{ itemId: string; source: string; category: string | null }>;
}

describe('operator console (real stores, headless Chromium)', () => {
  let stack: TestStack;
  let server: http.Server;
  let base: string;
  let browser: Browser | undefined;
  let page: Page;
  let buyer: string;
  let policyDir: string;

  const debug = async <T>(p: string): Promise<T> => {
    const res = await fetch(base + p, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    // An A/B experiment so the report has a control and a variant to compare.
    policyDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'recs-console-policy-'));
    const policyFile = path.join(policyDir, 'policy.json');
    await fs.promises.writeFile(
      policyFile,
      JSON.stringify({
        // The sample's holdout is small: let the gate's significance rule run on it.
        gate: { minCases: 20 },
        experiment: {
          name: 'console-e2e',
          salt: 'console',
          variants: [
            { name: 'control', weight: 1 },
            { name: 'boost_new', weight: 1, newArrivalBoost: 0.5 },
          ],
        },
      }),
    );
    stack = await openTestStack('real', { DEBUG_TOKEN: TOKEN, RECS_CONFIG_FILE: policyFile });

    const sample = generateStorefront({ users: 300, items: 200, categories: 8, days: 120, seed: 7 });
    const purchases = new Map<string, number>();
    for (const e of sample.events) if (e.type === 'purchase') purchases.set(e.userId, (purchases.get(e.userId) ?? 0) + 1);
    buyer = [...purchases.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];

    const report = await stack.importSample(sample);
    expect(report.rejected).toBe(0);
    const trained = await stack.train();
    expect(trained.status).toBe('live');
    // A second night on the same data: its gate compares it with the first, case by case.
    const second = await stack.train();
    expect(second.status).toBe('live');
    expect(second.gate?.rule).toBe('significance');
    await stack.rt.live.start();

    server = createHttpServer(stack.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    // Feedback from the storefront: impressions for whole lists, clicks and purchases on some.
    const users = [...new Set(sample.events.map((e) => e.userId))].slice(0, 80);
    for (const [n, userId] of users.entries()) {
      const res = await fetch(`${base}/v1/users/${encodeURIComponent(userId)}/recommendations?limit=10`);
      const body = (await res.json()) as { recommendationId: string; items: Array<{ itemId: string }> };
      const post = (itemId: string, type: string) =>
        fetch(`${base}/v1/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ recommendationId: body.recommendationId, itemId, type }),
        });
      await Promise.all(body.items.map((i) => post(i.itemId, 'impression')));
      if (n % 3 === 0) await post(body.items[0].itemId, 'click');
      if (n % 7 === 0) await post(body.items[0].itemId, 'purchase');
    }

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await stack?.close();
    if (policyDir) await fs.promises.rm(policyDir, { recursive: true, force: true });
  });

  it('serves the page to anyone, while /debug/* refuses a request without the token', async () => {
    const page = await request(stack.app).get('/console');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('data-testid="token-input"');
    // Self-contained: no external scripts, styles or fonts.
    expect(page.text).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect((await request(stack.app).get('/debug/models')).status).toBe(401);
    expect((await request(stack.app).get('/debug/models').set('Authorization', 'Bearer nope')).status).toBe(401);
  });

  it('shows the invalid-token message for a wrong token and stays on the token form', async () => {
    await page.goto(`${base}/console`);
    await page.getByTestId('token-input').fill('not-the-token');
    await page.getByTestId('token-submit').click();
    // The error box is in the page from the start (hidden, empty): wait for the server's refusal.
    await page
      .getByTestId('error')
      .filter({ hasText: /invalid token/i })
      .waitFor({ state: 'visible' });
    expect(await page.getByTestId('error').isVisible()).toBe(true);
    expect(await page.getByTestId('token-input').isVisible()).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.length)).toBe(0);
  });

  it('with the right token shows the models table with the live version', async () => {
    const models = await debug<{ live: string; versions: Array<{ version: string; metrics: any }> }>('/debug/models');
    // /debug/models carries each version's gate decision with its intervals.
    const liveGate = models.versions.find((v) => v.version === models.live)!.metrics.gate;
    expect(liveGate).toMatchObject({ passed: true, rule: 'significance', paired: { difference: { diff: 0, ci95: [0, 0], lower: 0 } } });
    expect(liveGate.vsPopular.ci95[0]).toBeGreaterThan(0);
    expect(liveGate.summary).toMatch(/^promoted by the significance rule/);
    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('token-submit').click();
    const table = page.getByTestId('models-table');
    await table.waitFor();
    expect(await page.getByTestId('error').isVisible()).toBe(false);
    expect(await table.textContent()).toContain(models.live);
    expect(await page.getByTestId('model-row').count()).toBe(models.versions.length);
    const liveRow = page.locator(`[data-testid="model-row"][data-version="${models.live}"]`);
    expect(await liveRow.getByTestId('live-badge').isVisible()).toBe(true);
    await expect(page.getByTestId('live-version').textContent()).resolves.toBe(models.live);
    // The live version's gate decision with its intervals: the rule, the paired difference to the
    // version it replaced, and the difference to popularity.
    expect(await liveRow.getByTestId('gate-rule').textContent()).toMatch(/^significance rule on \d+ cases$/);
    expect(await liveRow.getByTestId('gate-paired').textContent()).toMatch(
      /^paired vs v\S+ on \d+ cases: NDCG@10 \d\.\d{3} vs \d\.\d{3}, difference \+0\.0000 \(95% CI 0\.0000 to 0\.0000, one-sided lower bound 0\.0000\)$/,
    );
    expect(await liveRow.getByTestId('gate-popular').textContent()).toMatch(
      /^vs popularity: NDCG@10 difference \+0\.\d{4} \(95% CI 0\.\d{4} to 0\.\d{4}, one-sided lower bound 0\.\d{4}\)$/,
    );
    // The token is kept for this tab only.
    expect(await page.evaluate(() => Object.values((globalThis as unknown as InPage).sessionStorage))).toContain(TOKEN);
  });

  it('shows segment sizes and fallback chains', async () => {
    const segs = await debug<{ segments: Array<{ segment: string; users: number }> }>('/debug/segments');
    await page.getByTestId('tab-segments').click();
    await page.getByTestId('segment-size').first().waitFor();
    const names = await page.getByTestId('view-segments').getByTestId('segment-name').allTextContents();
    expect(names.sort()).toEqual(segs.segments.map((s) => s.segment).sort());
    expect(await page.getByTestId('segment-chain').count()).toBe(segs.segments.length);
  });

  it('looks up a buyer: one card per recommendation, the same ids as the API, the segment, and pixels on screen', async () => {
    await page.getByTestId('tab-user').click();
    await page.getByTestId('user-input').fill(buyer);
    await page.getByTestId('user-submit').click();
    await page.getByTestId('rec-card').first().waitFor();
    const api = await debug<DebugUser>(`/debug/users/${encodeURIComponent(buyer)}?limit=20`);
    expect(api.recommendations.length).toBeGreaterThan(0);

    const cards = page.getByTestId('rec-card');
    expect(await cards.count()).toBe(api.recommendations.length);
    const shown = await page.getByTestId('rec-item-id').allTextContents();
    const apiIds = api.recommendations.map((r) => r.itemId);
    for (const id of shown) expect(apiIds).toContain(id);
    expect(shown).toEqual(apiIds);
    const sources = await page.getByTestId('rec-source').allTextContents();
    expect(sources).toEqual(api.recommendations.map((r) => r.source));
    await expect(page.getByTestId('user-summary').getByTestId('segment-name').textContent()).resolves.toBe(api.segment);
    await expect(page.getByTestId('user-id').textContent()).resolves.toBe(buyer);
    expect(await page.getByTestId('error').isVisible()).toBe(false);

    // Screenshot: the cards are laid out and actually painted (not blank, not one flat colour).
    const shot = await page.screenshot({ fullPage: true });
    const file = path.join(os.tmpdir(), `recs-console-user-${process.pid}.png`);
    await fs.promises.writeFile(file, shot);
    console.log(`console screenshot after the user lookup: ${file}`);
    const whole = pixelStats(shot);
    expect(whole.width).toBeGreaterThan(1000);
    expect(whole.distinctColours).toBeGreaterThan(20);

    const box = await page.getByTestId('rec-cards').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.width).toBeGreaterThan(200);
    expect(box!.height).toBeGreaterThan(50);
    const card = pixelStats(await cards.first().screenshot());
    expect(card.width).toBeGreaterThan(100);
    expect(card.height).toBeGreaterThan(40);
    expect(card.distinctColours).toBeGreaterThan(4);
    expect(card.nonBackgroundShare).toBeGreaterThan(0.02);
    expect(card.darkShare).toBeGreaterThan(0.005); // text is drawn
  });

  it('looks up an item from a card and follows a neighbour', async () => {
    const first = (await page.getByTestId('rec-item-id').first().textContent())!;
    await page.getByTestId('rec-item-id').first().click();
    await page.getByTestId('item-summary').waitFor();
    await expect(page.getByTestId('item-id').textContent()).resolves.toBe(first);
    const api = await debug<{ category: string | null; neighbours: { itemcf: Array<{ itemId: string }> } }>(
      `/debug/items/${encodeURIComponent(first)}`,
    );
    await expect(page.getByTestId('item-category').textContent()).resolves.toBe(api.category ?? 'none');
    expect(await page.getByTestId('popularity-ranks').isVisible()).toBe(true);
    expect(await page.getByTestId('neighbour').allTextContents()).toEqual(api.neighbours.itemcf.map((n) => n.itemId));
    expect(api.neighbours.itemcf.length).toBeGreaterThan(0);

    const next = api.neighbours.itemcf[0].itemId;
    await page.getByTestId('neighbour').first().click();
    await page.waitForFunction(
      (id) => (globalThis as unknown as InPage).document.querySelector('[data-testid="item-id"]')?.textContent === id,
      next,
    );
    await expect(page.getByTestId('item-input').inputValue()).resolves.toBe(next);

    await page.getByTestId('item-input').fill('no-such-item');
    await page.getByTestId('item-submit').click();
    await page.getByTestId('error').waitFor({ state: 'visible' });
    await expect(page.getByTestId('error').textContent()).resolves.toMatch(/not found/i);
  });

  it('shows the A/B report per variant with the difference vs control, its 95% CI and p-value', async () => {
    const report = await debug<{
      experiments: Array<{ name: string; control: string; variants: Array<{ variant: string; impressions: number; segments: unknown[] }> }>;
    }>('/debug/experiments');
    const api = report.experiments[0];
    expect(api.name).toBe('console-e2e');
    expect(api.variants.map((v) => v.variant)).toEqual(['control', 'boost_new']);
    await page.getByTestId('tab-ab').click();
    await page.getByTestId('ab-table').waitFor();
    await expect(page.getByTestId('experiment-name').textContent()).resolves.toBe('console-e2e');
    const rows = page.getByTestId('ab-variant');
    expect(await rows.count()).toBe(api.variants.length);
    const variantRow = page.locator('[data-testid="ab-variant"][data-variant="boost_new"]');
    const text = (await variantRow.textContent())!;
    expect(text).toContain(api.variants[1].impressions.toLocaleString('en-US'));
    expect(text).toMatch(/95% CI \[/);
    expect(text).toMatch(/p = /);
    const segmentRows = api.variants.reduce((a, v) => a + v.segments.length, 0);
    expect(segmentRows).toBeGreaterThan(0);
    expect(await page.getByTestId('ab-segment').count()).toBe(segmentRows);
  });

  it('escapes ids: markup in a user id shows as text and never runs', async () => {
    await page.getByTestId('tab-user').click();
    await page.getByTestId('user-input').fill(HOSTILE_ID);
    await page.getByTestId('user-submit').click();
    await page.getByTestId('user-summary').waitFor();
    await expect(page.getByTestId('user-id').textContent()).resolves.toBe(HOSTILE_ID);
    await expect(page.getByTestId('user-summary').getByTestId('segment-name').textContent()).resolves.toBe('new');
    expect(await page.locator('#user-body img, #user-body b').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).__xss)).toBeUndefined();
    expect(await page.getByTestId('rec-card').count()).toBeGreaterThan(0);
  });

  it('drops a token the server no longer accepts and returns to the token form', async () => {
    await page.evaluate(() => {
      const store = (globalThis as unknown as InPage).sessionStorage;
      for (const k of Object.keys(store)) store.setItem(k, 'revoked');
    });
    await page.reload();
    await page
      .getByTestId('error')
      .filter({ hasText: /invalid token/i })
      .waitFor({ state: 'visible' });
    expect(await page.getByTestId('token-input').isVisible()).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sessionStorage.length)).toBe(0);
  });
});
