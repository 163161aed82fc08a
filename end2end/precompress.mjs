// Compresses the browser bundle once at build time, at the strongest settings (brotli 11,
// gzip 9): target/site/pkg/flotilla.wasm gets flotilla.wasm.br and flotilla.wasm.gz beside it.
// The server sends these as they are (server/src/assets.rs); without them it compresses at
// start, faster and a little larger. Usage: node end2end/precompress.mjs target/site/pkg
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node precompress.mjs <pkg dir>');
for (const name of readdirSync(dir)) {
  if (!/\.(wasm|js|css|json|svg)$/.test(name)) continue;
  const path = join(dir, name);
  const raw = readFileSync(path);
  if (raw.length < 256 || !statSync(path).isFile()) continue;
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_LGWIN]: 22,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      [constants.BROTLI_PARAM_MODE]: name.endsWith('.wasm') ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
    },
  });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gzipSync(raw, { level: 9 }));
  console.log(`${name}: ${raw.length} B, brotli ${br.length} B`);
}
