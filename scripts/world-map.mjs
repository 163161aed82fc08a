// Turns Natural Earth's 1:110m country outlines (public domain; the npm package world-atlas
// 2.0.2 carries them as TopoJSON) into public/world-110m.svg: one path in the equirectangular
// projection the world map uses (x = (lon + 180) / 360 × 1000, y = (90 − lat) / 180 × 500).
// Run once when the map data should change:
//   npm install --no-save world-atlas@2.0.2 topojson-client@3.1.0 && node scripts/world-map.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const topojson = require('topojson-client');
const world = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'));
const countries = topojson.feature(world, world.objects.countries);
const x = (lon) => ((lon + 180) / 360 * 1000).toFixed(1);
const y = (lat) => ((90 - lat) / 180 * 500).toFixed(1);
let d = '';
const ring = (points, shift) => {
  let prev = null;
  points.forEach(([lon, lat], i) => {
    const p = `${x(lon + shift)} ${y(lat)}`;
    if (p === prev) return;
    d += (i === 0 ? 'M' : 'L') + p;
    prev = p;
  });
  d += 'Z';
};
for (const f of countries.features) {
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
  for (const poly of polys) {
    for (const points of poly) {
      // Unwrap longitudes so a ring crossing the antimeridian (Russia, Fiji) stays continuous,
      // then draw it once more shifted by a full turn: the map's edges clip both copies.
      const unwrapped = [];
      for (const [lon, lat] of points) {
        let l = lon;
        if (unwrapped.length) {
          const before = unwrapped[unwrapped.length - 1][0];
          while (l - before > 180) l -= 360;
          while (before - l > 180) l += 360;
        }
        unwrapped.push([l, lat]);
      }
      ring(unwrapped, 0);
      if (unwrapped.some(([l]) => l > 180)) ring(unwrapped, -360);
      if (unwrapped.some(([l]) => l < -180)) ring(unwrapped, 360);
    }
  }
}
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1000 500"><path d="${d}" fill="#cfd6df" stroke="#ffffff" stroke-width="0.4" stroke-linejoin="round"/></svg>\n`;
writeFileSync(new URL('../public/world-110m.svg', import.meta.url), svg);
console.log(`public/world-110m.svg: ${countries.features.length} countries, ${svg.length} bytes`);
