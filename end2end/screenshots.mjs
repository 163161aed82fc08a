// Takes screenshots of the running portal for the README and for reviewing the UI:
//   node screenshots.mjs http://127.0.0.1:3000 ../docs
import { chromium } from '@playwright/test';

const [base = 'http://127.0.0.1:3000', out = '.'] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const shots = [
  ['screenshot.png', '/', { width: 1280, height: 720 }, 'light'],
  ['shot-admin.png', '/admin', { width: 1280, height: 800 }, 'light'],
  ['shot-admin-dark.png', '/admin', { width: 1280, height: 800 }, 'dark'],
  ['shot-workloads-tablet.png', '/workloads', { width: 820, height: 1000 }, 'light'],
  ['shot-404.png', '/nope', { width: 1280, height: 600 }, 'dark'],
];
for (const [file, path, viewport, colorScheme] of shots) {
  const page = await browser.newPage({ viewport, colorScheme });
  await page.goto(new URL(path, base).toString());
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${out}/${file}` });
  await page.close();
}
await browser.close();
