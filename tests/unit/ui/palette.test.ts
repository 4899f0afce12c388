// Data colours are the colour-blind-safe Okabe–Ito set (README, "Screens and theme"): every
// colour literal in src/ui is one of its eight colours or one of the listed greys, the
// greys really are hue-free, and the theme's accent colours are Okabe–Ito with readable
// text on them and visible lines against the dark card.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NEUTRALS, NM_SPECIAL_COLOURS, OKABE_ITO, patternColour } from '../../../src/ui/transforms/palette';

const UI = join(__dirname, '../../../src/ui');

/** Okabe & Ito (2008), "Color Universal Design", as published: written out here, not read from the code. */
const PUBLISHED = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#000000'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(n) ? [p] : [];
  });
}

/** '#abc' → '#AABBCC'. */
function normalise(hex: string): string {
  const h = hex.slice(1).toUpperCase();
  return `#${h.length === 3 ? [...h].map((c) => c + c).join('') : h}`;
}

const rgb = (hex: string): number[] => {
  const v = parseInt(normalise(hex).slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
};

/** WCAG 2 relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = rgb(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The custom properties of the light :root block and of the dark theme's :root block. */
function themeVars(): { light: Record<string, string>; dark: Record<string, string> } {
  const css = readFileSync(join(UI, 'styles.css'), 'utf8');
  const vars = (block: string) => Object.fromEntries([...block.matchAll(/(--[\w-]+):\s*([^;]+);/g)].map((m) => [m[1], m[2].trim()]));
  const light = css.match(/^:root\s*\{([^}]*)\}/m)![1];
  const dark = css.match(/prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{([^}]*)\}/)![1];
  return { light: vars(light), dark: vars(dark) };
}

describe('Okabe–Ito data colours', () => {
  const palette = new Set(PUBLISHED);
  const greys = new Set(Object.values(NEUTRALS).map(normalise));

  it('the palette in the code is the published one', () => {
    expect(Object.values(OKABE_ITO).map(normalise).sort()).toEqual([...PUBLISHED].sort());
  });

  it('every listed grey is a grey: its channels differ by at most 12 % (no hue to tell apart)', () => {
    for (const g of greys) {
      const c = rgb(g);
      expect(Math.max(...c) - Math.min(...c), g).toBeLessThanOrEqual(0.12 * 255);
    }
  });

  it('every colour literal in src/ui (chart strokes, fills, swatches) is Okabe–Ito or a listed grey', () => {
    const found: string[] = [];
    const outside: string[] = [];
    for (const f of files(UI)) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/['"`](#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})['"`]/g)) {
        const c = normalise(m[1]);
        found.push(c);
        if (!palette.has(c) && !greys.has(c)) outside.push(`${f.slice(UI.length + 1)}: ${m[1]}`);
      }
    }
    expect(found.length).toBeGreaterThan(20); // the scan reads the chart code at all
    expect(outside).toEqual([]);
  });

  it('the theme accents are Okabe–Ito in light and dark; their text and lines keep contrast', () => {
    const { light, dark } = themeVars();
    for (const theme of [light, dark]) {
      for (const v of ['--accent', '--blue', '--focus', '--highlight']) expect(palette.has(normalise(theme[v])), `${v} ${theme[v]}`).toBe(true);
      // Primary button text on the accent, white text on the selected segment (WCAG AA, 4.5:1).
      expect(contrast(theme['--accent-ink'], theme['--accent'])).toBeGreaterThanOrEqual(4.5);
      expect(contrast('#FFFFFF', theme['--blue'])).toBeGreaterThanOrEqual(4.5);
    }
    // Chart lines against the dark card: every colour but black is a visible graphic (WCAG 1.4.11, 3:1).
    for (const c of PUBLISHED.filter((c) => c !== '#000000')) expect(contrast(c, dark['--card']), c).toBeGreaterThanOrEqual(3);
  });
});

describe('N:M pattern colours beside "dense"', () => {
  it('every pattern of 1:8, 2:8, 4:8 and 3:7 stands apart from dense\'s #222222 (contrast ≥ 2.5; viridis\'s dark end gave 1.04)', () => {
    for (const count of [7, 8, 28, 35, 70]) {
      for (let id = 0; id < count; id++) expect(contrast(patternColour(id, count), NM_SPECIAL_COLOURS.dense), `pattern ${id} of ${count}`).toBeGreaterThanOrEqual(2.5);
    }
  });
});
