// A real browser for the admin page's tests: Debian's chromium (scripts/deps.sh installs it),
// driven headless by puppeteer-core. Each page records what it printed as an error and every URL
// it asked for, so tests can assert that nothing failed and that no secret left in a URL.
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

export const kChromium = process.env.LLMUX_CHROMIUM ?? '/usr/bin/chromium';
// Screenshots of each view: the test's artifacts (CTest sets this to the build dir).
export const kScreenshotDir = process.env.LLMUX_UI_SCREENSHOTS ?? join(tmpdir(), 'llmux-ui-screenshots');

export async function launchBrowser() {
  return puppeteer.launch({
    executablePath: kChromium,
    headless: true,
    // No sandbox: CI runs as root in a container, where chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    defaultViewport: { width: 1280, height: 800 },
  });
}

// A new page (in its own browser context: no cookies shared with other pages) that records its
// console errors, uncaught exceptions and requested URLs. Its downloads go to downloadPath.
export async function openPage(browser, { downloadPath } = {}) {
  const context = await browser.createBrowserContext(
    downloadPath ? { downloadBehavior: { policy: 'allow', downloadPath } } : {});
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const record = { errors: [], urls: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') record.errors.push(message.text());
  });
  page.on('pageerror', (error) => record.errors.push(String(error)));
  page.on('request', (request) => record.urls.push(request.url()));
  return { page, record, close: () => context.close() };
}

export async function screenshot(page, name) {
  await mkdir(kScreenshotDir, { recursive: true });
  await page.screenshot({ path: join(kScreenshotDir, `${name}.png`), fullPage: true });
}

// Waits until the view `name` has drawn its data (the page sets body[data-view] then).
export async function viewShown(page, name) {
  await page.waitForSelector(`body[data-view="${name}"]`);
}
