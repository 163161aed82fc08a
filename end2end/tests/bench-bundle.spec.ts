// Measures (does not judge) what each budgeted page's first load transfers and its time to
// interactive under throttling; scripts/bench-bundle runs it and writes BENCHMARKS.md. Skipped
// in the ordinary suite.
import { test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { budget, coldTransfer, timeToInteractive } from './transfer';

const out = process.env.BENCH_BUNDLE_OUT;

test('bundle benchmark: transfer and time to interactive per page', async ({ browser }) => {
  test.skip(!out, 'run by scripts/bench-bundle');
  test.setTimeout(600_000);
  const rows = [];
  for (const { path, signedIn } of budget.pages) {
    const transfer = await coldTransfer(browser, path, signedIn);
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await timeToInteractive(browser, path, signedIn));
    times.sort((a, b) => a - b);
    rows.push({ ...transfer, tti: times, ttiMedian: times[2] });
  }
  writeFileSync(out!, JSON.stringify({ budget, rows }, null, 2));
});
