// Hostile inputs, fuzzed: run.json imports, URLs and own-data files. Whatever comes in is
// either accepted as something that satisfies its invariants, or refused with an Error
// whose message says what is wrong; nothing else is thrown.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { buildConfig, SETTINGS } from '../../../src/engine/config';
import { encodeMasks, MAX_RUN_FILE_BYTES, parseRunFile, RUN_FILE_VERSION, toBase64, type RunFile } from '../../../src/engine/runFile';
import { parseUrl } from '../../../src/store/url';
import { getAt, decodeSetting } from '../../../src/engine/settingsTable';
import { zipSync } from 'fflate';
import { OwnDataError, readOwnData, type ImageDecoder, type OwnFile } from '../../../src/engine/data/ownData';

function validRun(): RunFile {
  const shape = [3, 3, 4, 2];
  const n = shape.reduce((a, b) => a * b, 1);
  const online = Uint8Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0);
  const target = Uint8Array.from({ length: n }, (_, i) => i % 2 === 0 ? 1 : 0);
  return {
    version: RUN_FILE_VERSION,
    createdAt: '2026-11-25T00:00:00Z',
    config: buildConfig({ preset: 'syncp-unstructured', tiny: true }),
    history: [{ step: 1, loss: 2.5 }, { step: 5, loss: 2.1, knn: 0.3 }],
    masks: encodeMasks([{ name: 's1.b0.conv1', shape, online, target }]),
  };
}

/** parseRunFile's whole contract: a valid decoded run, or an Error that says "run file". */
function check(text: string): 'accepted' | 'refused' {
  let run;
  try {
    run = parseRunFile(text);
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/^run file/);
    // A message a person can read: not a stack dump, not a 50 MB echo of the input.
    expect((e as Error).message.length).toBeLessThan(2000);
    return 'refused';
  }
  expect(run.version).toBeGreaterThanOrEqual(1);
  expect(run.version).toBeLessThanOrEqual(RUN_FILE_VERSION);
  expect(buildConfig({ overrides: run.config })).toEqual(run.config);
  for (const row of run.history) expect(Number.isInteger(row.step)).toBe(true);
  for (const m of run.masks) {
    const n = m.shape.reduce((a, b) => a * b, 1);
    expect(m.online.length).toBe(n);
    expect(m.target.length).toBe(n);
    expect(m.online.every((b) => b === 0 || b === 1)).toBe(true);
    expect(m.target.every((b) => b === 0 || b === 1)).toBe(true);
  }
  return 'accepted';
}

/** Replace the value at a random path of a JSON value. */
function mutateAt(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key] = entries[path[0] % entries.length];
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...value };
  (copy as Record<string, unknown>)[key] = mutateAt((value as Record<string, unknown>)[key], path.slice(1), replacement);
  return copy;
}

describe('run.json import, fuzzed', () => {
  it('a valid file is accepted (the fuzzing below starts from it)', () => {
    expect(check(JSON.stringify(validRun()))).toBe('accepted');
  });

  it('random JSON values are refused with a message', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        // No random JSON value is a run file of this app (it needs version, config, history and masks).
        expect(check(JSON.stringify(v))).toBe('refused');
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it('random text is refused with a message', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
      expect(check(s)).toBe('refused');
    }), { seed: 2, numRuns: 300 });
  });

  it('every truncation of a valid file is refused', () => {
    const text = JSON.stringify(validRun());
    fc.assert(fc.property(fc.integer({ min: 0, max: text.length - 1 }), (cut) => {
      expect(check(text.slice(0, cut))).toBe('refused');
    }), { seed: 3, numRuns: 300 });
  });

  it('a valid file with one value replaced by something of another type is accepted only if still valid', () => {
    const run = validRun();
    const odd = fc.oneof(fc.jsonValue(), fc.constantFrom(1e999, -1e999, -1, 1.5, '', 'AAAA', [], {}, null, true));
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), odd, (path, replacement) => {
        // 1e999 parses to Infinity: JSON cannot carry NaN, but it can carry numbers that overflow.
        const text = JSON.stringify(mutateAt(run, path, replacement));
        check(text);
      }),
      { seed: 4, numRuns: 500 },
    );
    const valid = validRun();
    expect(check(JSON.stringify(valid).replace(`"batchSize":${valid.config.batchSize}`, '"batchSize":1e999'))).toBe('refused');
  });

  it('masks with the wrong length, bytes other than 0/1, or base64 garbage are refused', () => {
    const run = validRun();
    const layer = run.masks.layers[0];
    const n = layer.shape.reduce((a, b) => a * b, 1);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 0, maxLength: 3 * n }).filter((b) => b.length !== n).map(toBase64),
          fc.uint8Array({ minLength: n, maxLength: n }).filter((b) => b.some((x) => x > 1)).map(toBase64),
          fc.string({ minLength: 1, maxLength: 40 }).filter((s) => /[^A-Za-z0-9+/=]/.test(s)),
        ),
        fc.constantFrom('online' as const, 'target' as const),
        (bad, which) => {
          const text = JSON.stringify({ ...run, masks: { layers: [{ ...layer, [which]: bad }] } });
          expect(check(text)).toBe('refused');
        },
      ),
      { seed: 5, numRuns: 300 },
    );
  });

  it('deep nesting, huge arrays and a 50 MB file are refused, quickly and with a message', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(check(deep)).toBe('refused');
    const deepObj = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
    expect(check(deepObj)).toBe('refused');
    const bigMask = { ...validRun(), masks: { layers: [{ name: 'x', shape: [1e6, 1e6, 1, 1], online: '', target: '' }] } };
    expect(check(JSON.stringify(bigMask))).toBe('refused');
    const manyLayers = { ...validRun(), masks: { layers: Array.from({ length: 300 }, () => validRun().masks.layers[0]) } };
    expect(check(JSON.stringify(manyLayers))).toBe('refused');
    const huge = JSON.stringify(validRun()).replace('"history":[', `"history":[${'{"step":1},'.repeat(Math.ceil((50 * 1024 * 1024) / 11))}`);
    expect(huge.length).toBeGreaterThan(MAX_RUN_FILE_BYTES);
    // Refused by its size before it is parsed (a timed bound here would flake on a loaded machine).
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(() => parseRunFile(huge)).toThrow(/run file is 5\d\.\d MB; the largest accepted is 32 MB/);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('a config key a million characters long, or a 1 MB value, is refused at once with a short message', () => {
    const run = validRun() as unknown as { config: Record<string, unknown> };
    const t0 = performance.now();
    let message = '';
    try {
      parseRunFile(JSON.stringify({ ...run, config: { ...run.config, ['a'.repeat(1_000_000)]: 1 } }));
    } catch (e) {
      message = (e as Error).message;
    }
    // A guard against the quadratic path (edit distance over the whole key), not a speed
    // figure: that took seconds, this takes milliseconds, and 5 s leaves a loaded machine room.
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(message).toMatch(/unknown key "a{40}… \(1000000 characters\)"/);
    expect(message.length).toBeLessThan(2000);
    const ssl = (run.config.ssl ?? {}) as Record<string, unknown>;
    expect(() => parseRunFile(JSON.stringify({ ...run, config: { ...run.config, ssl: { ...ssl, method: 'b'.repeat(1_000_000) } } }))).toThrow(/\(got "b{39}… \(1000002 characters\)\)/);
    try {
      parseRunFile(JSON.stringify({ ...run, config: { ...run.config, ssl: { ...ssl, method: 'b'.repeat(1_000_000) } } }));
    } catch (e) {
      expect((e as Error).message.length).toBeLessThan(2000);
    }
  });

  it('an unknown key in the config is refused naming it and the nearest valid key', () => {
    const run = validRun() as unknown as { config: Record<string, Record<string, unknown>> };
    run.config.syncp = { ...run.config.syncp, desnity: 0.05 };
    expect(() => parseRunFile(JSON.stringify(run))).toThrow(/syncp: unknown key "desnity" \(did you mean "density"\?\)/);
  });
});

const KNOWN = ['preset', 'tiny', 'backend', ...SETTINGS.map((s) => s.key)];

describe('URL parsing, fuzzed', () => {
  it('any query string yields a config that builds, and every part it dropped is named', () => {
    const key = fc.oneof(fc.constantFrom(...KNOWN), fc.string({ minLength: 1, maxLength: 12 }));
    // (Any key the table knows may appear, with any value: numbers, words, lists.)
    const value = fc.oneof(fc.string({ maxLength: 12 }), fc.double().map(String), fc.integer().map(String), fc.constantFrom('NaN', 'Infinity', '-1', '0', '1', '1e999', 'cdg', 'syncp-2of4', 'webgpu', 'cpu', 'fashion-mnist', 'nm', 'byol', '8,16', '2,,4'));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 10 }), (pairs) => {
        const q = new URLSearchParams();
        for (const [k, v] of pairs) q.append(k, v);
        const u = parseUrl(`?${q.toString()}`);
        const config = buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides });
        expect(config.steps).toBeGreaterThan(0);
        expect(u.order.length).toBeGreaterThan(0);
        for (const [k] of pairs) if (!KNOWN.includes(k)) expect(u.notice).toContain(`unknown parameter "${k}"`);
        // A valid learning rate comes through unchanged; an invalid one is named in the notice.
        const lr = q.get('lr');
        if (lr !== null) {
          const v = Number(lr);
          if (lr.trim() !== '' && v > 0 && v <= 10) expect(config.optim.lr).toBe(v);
          else expect(u.notice).toMatch(/lr/);
        }
      }),
      { seed: 6, numRuns: 500 },
    );
  });

  it('every setting in a link is either applied as written or named, by its key, in the notice', () => {
    const specs = SETTINGS;
    const value = fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -5, max: 5000 }).map(String), fc.double({ min: -2, max: 2, noNaN: true }).map(String), fc.constantFrom('own', 'nm', '0', '1', '8,16', 'x,1'));
    fc.assert(
      fc.property(fc.constantFrom('simclr-dense', 'cdg', 'syncp-2of4', 'byol-dense'), fc.array(fc.tuple(fc.constantFrom(...specs), value), { maxLength: 6 }), (preset, pairs) => {
        const q = new URLSearchParams({ preset, tiny: '1' });
        for (const [spec, v] of pairs) q.append(spec.key, v);
        const u = parseUrl(`?${q.toString()}`);
        const config = buildConfig({ preset: u.preset, tiny: u.tiny, overrides: u.overrides });
        const problems = u.notice ? u.notice.replace(/^Ignored part of the link: /, '').split('; ') : [];
        for (const [spec] of pairs) {
          const raw = q.get(spec.key)!;
          const decoded = decodeSetting(spec, raw);
          const applied = 'value' in decoded && JSON.stringify(getAt(config, spec.path)) === JSON.stringify(decoded.value);
          const named = problems.some((p) => p.startsWith(`${spec.key} `) || p.startsWith(`${spec.key}:`) || p.startsWith(`${spec.key}=`) || p.startsWith(`${spec.key}.`));
          expect(applied || named, `${spec.key}=${raw}: ${u.notice}`).toBe(true);
        }
      }),
      { seed: 7, numRuns: 400 },
    );
    // The property trusts decodeSetting for "applied as written"; a few links decoded by hand.
    const link = parseUrl('?preset=cdg&batch=64&lr=0.004&temperature=0.5');
    const hand = buildConfig({ preset: link.preset, tiny: link.tiny, overrides: link.overrides });
    expect([hand.batchSize, hand.optim.lr, hand.ssl.temperature]).toEqual([64, 0.004, 0.5]);
  });

  it('a typo in a parameter name is named with the parameter it was probably meant to be', () => {
    const u = parseUrl('?preset=cdg&lrr=0.01&tiny=1');
    expect(u.notice).toContain('unknown parameter "lrr" (did you mean "lr"?)');
    expect(u.preset).toBe('cdg');
    expect(u.tiny).toBe(true);
  });
});

/** Stand-in decoder (as in ownData.test.ts): 'IMG', a value, width and height (16-bit LE). */
const decode: ImageDecoder = async (bytes, size) =>
  bytes.length >= 8 && bytes[0] === 73 && bytes[1] === 77 && bytes[2] === 71 ? { width: bytes[4] | (bytes[5] << 8), height: bytes[6] | (bytes[7] << 8), rgb: new Uint8Array(size * size * 3).fill(bytes[3]) } : null;

describe('own data files, fuzzed', () => {
  it('any file list becomes a dataset that satisfies its invariants, or an OwnDataError', async () => {
    const segment = fc.constantFrom('a', 'b', 'c', '.hidden', '__MACOSX', 'x y');
    const name = fc.constantFrom('1.png', '2.jpg', 'data_batch_1.bin', 'test_batch.bin', 'notes.txt', 'set.zip', '.DS_Store');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.tuple(fc.nat(255), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 })).map(([v, w, h]) => new Uint8Array([73, 77, 71, v, w & 255, w >> 8, h & 255, h >> 8])),
      fc.array(fc.nat(12), { minLength: 1, maxLength: 6 }).map((labels) => {
        const out = new Uint8Array(labels.length * 3073);
        labels.forEach((l, i) => (out[i * 3073] = l));
        return out;
      }),
    );
    const file = fc.tuple(fc.array(segment, { maxLength: 3 }), name, bytes).map(([dirs, n, b]): OwnFile => ({ path: [...dirs, n].join('/'), bytes: b }));
    const files = fc.array(file, { maxLength: 8 }).map((list) => (list.length > 2 ? [...list, { path: 'z.zip', bytes: zipSync(Object.fromEntries(list.map((f) => [f.path, f.bytes]))) }] : list));
    await fc.assert(
      fc.asyncProperty(files, async (list) => {
        let ds;
        try {
          ds = await readOwnData(list, { decode, size: 8, seed: 1, maxImages: 50 });
        } catch (e) {
          expect(e).toBeInstanceOf(OwnDataError);
          expect((e as Error).message.length).toBeGreaterThan(10);
          return;
        }
        expect(ds.classNames.length).toBeGreaterThanOrEqual(2);
        for (const split of [ds.train, ds.test]) {
          expect(split.count).toBeGreaterThan(0);
          expect(split.images.length).toBe(split.count * 8 * 8 * 3);
          expect(split.labels.every((l) => l < ds.classNames.length)).toBe(true);
        }
        expect(new Set([...ds.train.labels, ...ds.test.labels]).size).toBeGreaterThanOrEqual(2);
      }),
      { seed: 8, numRuns: 400 },
    );
  });
});
