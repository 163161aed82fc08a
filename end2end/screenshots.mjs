// Takes screenshots of the running demo portal for the README and for reviewing the UI:
//   node screenshots.mjs http://127.0.0.1:3000 ../docs
// Each shot signs in as a demo account first (one click on the login page), or not at all.
import { chromium } from '@playwright/test';

const [base = 'http://127.0.0.1:3000', out = '.'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
// [file, who (null = signed out), path, viewport, colour scheme, full page]
const shots = [
  ['screenshot.png', 'alice', '/', { width: 1280, height: 720 }, 'light', false],
  ['shot-login.png', null, '/login', { width: 1280, height: 800 }, 'light', false],
  ['shot-admin.png', 'alice', '/admin', { width: 1280, height: 800 }, 'light', true],
  ['shot-admin-dark.png', 'alice', '/admin', { width: 1280, height: 800 }, 'dark', false],
  ['shot-admin-refused.png', 'bob', '/admin', { width: 1280, height: 600 }, 'light', false],
  ['shot-account.png', 'carol', '/account', { width: 1280, height: 600 }, 'dark', false],
  ['shot-workloads-tablet.png', 'carol', '/workloads', { width: 820, height: 1000 }, 'light', false],
  ['shot-404.png', 'bob', '/nope', { width: 1280, height: 600 }, 'dark', false],
];
for (const [file, who, path, viewport, colorScheme, fullPage] of shots) {
  const page = await browser.newPage({ viewport, colorScheme });
  if (who) {
    await page.goto(new URL('/login', base).toString());
    await page.getByRole('button', { name: `Continue as ${who}` }).click();
    await page.waitForURL(new URL('/', base).toString());
  }
  await page.goto(new URL(path, base).toString());
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${out}/${file}`, fullPage });
  await page.close();
}
await browser.close();
