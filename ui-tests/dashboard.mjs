// End-to-end test of the dashboard in Debian's headless chromium, driven by playwright-core.
// Needs a running `xinli serve` with an analysed store: XINLI_URL (http://127.0.0.1:PORT),
// XINLI_KEY (an admin key), XINLI_SHOTS (directory for the screenshots). Prints one line per
// check, the first-paint measurements, and "N passed, N failed"; exits 1 on any failure.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const url = process.env.XINLI_URL;
const key = process.env.XINLI_KEY;
const shots = process.env.XINLI_SHOTS || 'ui-screenshots';
if (!url || !key) {
  console.error('set XINLI_URL and XINLI_KEY');
  process.exit(2);
}
mkdirSync(shots, { recursive: true });
const origin = new URL(url).origin;

let passed = 0, failed = 0;
async function check(name, f) {
  try {
    await f();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}: ${e && e.stack ? e.stack : e}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });

/** A page signed in (the key in sessionStorage before any script runs), watching for console
 * errors, uncaught exceptions and requests that leave the server. */
async function openPage(viewport, lang) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  await context.addInitScript(([k, l]) => {
    sessionStorage.setItem('xinli.key', k);
    localStorage.setItem('xinli.lang', l);
  }, [key, lang]);
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`uncaught: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:')) page.problems.push(`external request: ${u}`);
  });
  return page;
}

/** Goes to a page of the dashboard and waits until it has drawn (or shown an error). */
async function visit(page, hash) {
  await page.goto(`${url}/#/${hash}`);
  const name = hash.split('/')[0];
  await page.waitForSelector(`main[data-page="${name}"]`, { timeout: 20000 });
  const error = await page.$('main .error:not([hidden])');
  if (error) {
    const text = (await error.textContent()).trim();
    if (text) throw new Error(`${hash} shows an error: ${text}`);
  }
}

const shot = async (page, name) => {
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
};

const PAGES = ['overview', 'psychology', 'value', 'voice', 'customer', 'segments'];

// First paint of the overview, on a fresh tab (benchmark figures, printed, not asserted).
await check('overview first paint measured', async () => {
  const page = await openPage({ width: 1366, height: 850 }, 'zh');
  const started = Date.now();
  await page.goto(`${url}/#/overview`);
  await page.waitForSelector('[data-testid="kpi-customers"]', { timeout: 20000 });
  const drawn = Date.now() - started;
  const t = await page.evaluate(() => {
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]));
    const nav = performance.getEntriesByType('navigation')[0];
    return { fcp: paint['first-contentful-paint'], fp: paint['first-paint'], dcl: nav && nav.domContentLoadedEventEnd };
  });
  console.log(`# overview: first paint ${t.fp?.toFixed(0)} ms, first contentful paint ${t.fcp?.toFixed(0)} ms, DOMContentLoaded ${t.dcl?.toFixed(0)} ms, KPIs drawn ${drawn} ms after navigation`);
  assert(page.problems.length === 0, page.problems.join('\n'));
  await page.context().close();
});

for (const [device, viewport] of [['laptop', { width: 1366, height: 850 }], ['phone', { width: 390, height: 844 }]]) {
  for (const lang of ['zh', 'en']) {
    await check(`every page loads without console errors (${device}, ${lang})`, async () => {
      const page = await openPage(viewport, lang);
      for (const p of PAGES) {
        await visit(page, p);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(overflow <= 1, `${p} is ${overflow}px wider than the ${device} screen`);
        console.log(`# screenshot ${await shot(page, `${p}-${device}-${lang}`)}`);
      }
      assert(page.problems.length === 0, page.problems.join('\n'));
      await page.context().close();
    });
  }
}

await check('the language switch changes the texts', async () => {
  const page = await openPage({ width: 1366, height: 850 }, 'zh');
  await visit(page, 'overview');
  const navZh = await page.textContent('nav');
  const kpiZh = await page.textContent('[data-testid="kpi-customers"] .kpi-label');
  assert(navZh.includes('总览') && kpiZh === '客户数', `Chinese first: ${navZh} / ${kpiZh}`);
  await page.click('[data-testid="lang-switch"]');
  await page.waitForFunction(() => document.querySelector('nav').textContent.includes('Overview'));
  await page.waitForSelector('[data-testid="kpi-customers"]');
  const kpiEn = await page.textContent('[data-testid="kpi-customers"] .kpi-label');
  const number = await page.textContent('[data-testid="kpi-customers"] strong');
  assert(kpiEn === 'Customers', `English label: ${kpiEn}`);
  assert(/^\d{1,3}(,\d{3})*$/.test(number.trim()), `English number format: ${number}`);
  assert(await page.evaluate(() => document.documentElement.lang) === 'en', 'html lang follows');
  await page.click('[data-testid="lang-switch"]');
  await page.waitForFunction(() => document.querySelector('nav').textContent.includes('总览'));
  assert(page.problems.length === 0, page.problems.join('\n'));
  await page.context().close();
});

await check('a segment is created through the UI and its members are shown', async () => {
  const page = await openPage({ width: 1366, height: 850 }, 'en');
  await visit(page, 'segments');
  await page.fill('[data-testid="segment-expression"]', 'orders >= ');
  await page.waitForSelector('[data-testid="segment-error"]:not([hidden])');
  const err = await page.textContent('[data-testid="segment-error"]');
  assert(/column \d+/.test(err) && err.includes('^'), `the parse error names its column with a caret: ${err}`);
  const name = `e2e repeat buyers ${Date.now()}`;
  await page.fill('[data-testid="segment-name"]', name);
  await page.fill('[data-testid="segment-expression"]', 'orders >= 3');
  await page.waitForSelector('[data-testid="segment-error"]', { state: 'hidden' });
  await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid="segment-live-size"]').textContent));
  const live = Number((await page.textContent('[data-testid="segment-live-size"]')).replace(/\D/g, ''));
  assert(live > 0, `live size ${live}`);
  await page.click('[data-testid="segment-save"]');
  await page.waitForFunction(() => /#\/segments\/\d+/.test(location.hash));
  await page.waitForSelector('[data-testid="segment-members"] li', { timeout: 30000 });
  const shown = await page.$$eval('[data-testid="segment-members"] li', (l) => l.length);
  assert(shown === Math.min(50, live), `members shown ${shown}, live size ${live}`);
  const listed = await page.textContent('.seglist');
  assert(listed.includes(name), 'the new segment is listed');
  console.log(`# segment "${name}": ${live} members; screenshot ${await shot(page, 'segment-created')}`);
  assert(page.problems.length === 0, page.problems.join('\n'));
  await page.context().close();
});

await check('the customer 360 shows traits and evidence (reached from the RFM grid)', async () => {
  const page = await openPage({ width: 1366, height: 850 }, 'en');
  await visit(page, 'overview');
  const cells = await page.$$('[data-testid^="rfm-"]');
  assert(cells.length > 0, 'the RFM grid has cells');
  let found = false;
  for (const cell of cells.slice(0, 6)) {
    await cell.click();
    await page.waitForSelector('[data-testid="member-table"] tbody tr');
    const links = await page.$$eval('[data-testid="member-table"] tbody a', (a) => a.map((x) => x.getAttribute('href')));
    for (const href of links.slice(0, 5)) {
      await visit(page, href.replace(/^#\//, ''));
      const evidence = await page.$$('[data-testid="evidence"] li');
      if (evidence.length) { found = true; break; }
    }
    if (found) break;
    await visit(page, 'overview');
  }
  assert(found, 'no customer with evidence among the first members of the RFM cells');
  const traits = await page.$$('[data-testid^="trait-"]');
  assert(traits.length === 6, `six traits shown, got ${traits.length}`);
  const timeline = await page.$$('[data-testid="timeline"] li');
  assert(timeline.length > 0, 'the timeline has entries');
  assert(await page.$('[data-testid="nba"]'), 'a next best action');
  const evidenceEn = await page.textContent('[data-testid="evidence"] li');
  await page.click('[data-testid="lang-switch"]');
  await page.waitForFunction((en) => { const li = document.querySelector('[data-testid="evidence"] li'); return li && li.textContent !== en; }, evidenceEn);
  console.log(`# customer ${await page.textContent('[data-testid="customer-id"]')}: screenshot ${await shot(page, 'customer-360')}`);
  assert(page.problems.length === 0, page.problems.join('\n'));
  await page.context().close();
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
