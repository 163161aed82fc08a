// Starts `flotilla demo` on 127.0.0.1 with a free port and a fresh SQLite database,
// waits for its "listening on" line and shares the URL with the tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = resolve(__dirname, '..');
  const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
  const bin = resolve(process.env.FLOTILLA_BIN ?? join(targetDir, 'release', 'flotilla'));
  const siteRoot = resolve(process.env.FLOTILLA_SITE_ROOT ?? join(root, 'target', 'site'));
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-e2e-'));

  const child = spawn(bin, ['demo'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      FLOTILLA_ADDR: '127.0.0.1:0',
      FLOTILLA_SITE_ROOT: siteRoot,
      FLOTILLA_DATABASE_URL: `sqlite://${dataDir}/flotilla.db`,
      FLOTILLA_SHUTDOWN_GRACE_SECS: '3',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });

  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${bin} did not report its address within 30 s`)), 30_000);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = buffered.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.on('exit', (code) => fail(new Error(`${bin} exited early with code ${code}`)));
    child.on('error', fail);
  });
  child.stdout!.resume();
  process.env.FLOTILLA_URL = url;

  return async () => {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
    rmSync(dataDir, { recursive: true, force: true });
  };
}
