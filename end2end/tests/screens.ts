// What a page looks like to a person on a given screen: whether it fits the viewport's width,
// and which texts are too faint to read (WCAG contrast below 4.5:1), computed from the styles
// the browser applied (text colour against the nearest opaque background behind it).
import { Page } from '@playwright/test';

export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1280, height: 800 };

/// How much wider than the viewport the document is (0 when it fits), and the widest culprit.
export async function overflow(page: Page): Promise<{ by: number; culprit: string }> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const by = document.documentElement.scrollWidth - width;
    let culprit = '';
    if (by > 0) {
      let widest = 0;
      for (const el of Array.from(document.querySelectorAll('body *'))) {
        const r = el.getBoundingClientRect();
        if (r.right > width + 1 && r.width > 0 && r.right > widest && getComputedStyle(el).position !== 'fixed') {
          // The outermost element that sticks out names the problem best.
          const parentOut = el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1;
          if (!parentOut) {
            widest = r.right;
            culprit = `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${(el.getAttribute('class') ?? '').split(' ').join('.')} → ${Math.round(r.right)} px`;
          }
        }
      }
    }
    return { by, culprit };
  });
}

/// Visible texts whose contrast with what is behind them is below `min`.
export async function faintTexts(page: Page, min = 4.5): Promise<string[]> {
  return page.evaluate((min) => {
    const parse = (c: string): number[] | null => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const blend = (top: number[], under: number[]) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
    const background = (el: Element | null): number[] => {
      const layers: number[][] = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c[3] > 0) {
          layers.push(c);
          if (c[3] >= 1) break;
        }
      }
      let under = [255, 255, 255, 1];
      for (const l of layers.reverse()) under = blend(l, under);
      return under;
    };
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !n.textContent?.trim()) continue;
      seen.add(el);
      const style = getComputedStyle(el);
      const r = el.getBoundingClientRect();
      if (style.visibility !== 'visible' || r.width === 0 || r.height === 0 || Number(style.opacity) === 0) continue;
      if (el.closest('[aria-hidden="true"], .sr-only, option, script, style')) continue;
      const svgText = el instanceof SVGElement;
      const fg = parse(svgText ? style.fill : style.color);
      if (!fg) continue;
      // SVG text sits on the page behind the drawing, or on the shape it labels (a marker's
      // circle, a node's square) when it shares a group with one.
      let bg = background(svgText ? el.closest('svg')?.parentElement ?? null : el);
      if (svgText) {
        const group = el.parentElement?.tagName.toLowerCase() === 'g' ? el.parentElement : null;
        const shape = group?.querySelector(':scope > circle, :scope > rect');
        const fill = shape ? parse(getComputedStyle(shape).fill) : null;
        if (fill) bg = blend([fill[0], fill[1], fill[2], Number(getComputedStyle(shape!).fillOpacity) * fill[3]], bg);
      }
      const color = blend(fg, bg);
      const [a, b] = [lum(color), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < min) out.push(`${ratio.toFixed(2)}:1 "${n.textContent.trim().slice(0, 40)}" (${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''})`);
    }
    // Placeholders are text people read too.
    for (const input of Array.from(document.querySelectorAll('input[placeholder], textarea[placeholder]'))) {
      const el = input as HTMLInputElement;
      if (!el.placeholder || el.value || el.getBoundingClientRect().width === 0) continue;
      const fg = parse(getComputedStyle(el, '::placeholder').color);
      if (!fg) continue;
      const bg = background(el);
      const [a, b] = [lum(blend(fg, bg)), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      if (ratio < min) out.push(`${ratio.toFixed(2)}:1 placeholder "${el.placeholder.slice(0, 40)}"`);
    }
    return out;
  }, min);
}
