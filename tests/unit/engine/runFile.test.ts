// run.json's one schema: a version-1 file (written by hand here, as the first exports wrote
// it) migrates to version 2; every field a real run's rows carry is one the row schema
// declares (strict parse: an undeclared field fails).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildConfig, parseSavedConfig } from '../../../src/engine/config';
import { effectiveGroups } from '../../../src/engine/sparsity/channelGroups';
import { loadDataset } from '../../../src/engine/data';
import { isWeightMaskSource } from '../../../src/engine/plugin';
import { MaskUpdateSchema, MetricsRowSchema, migrateRunFile, parseRunFile, RUN_FILE_VERSION, RunFileV1Schema } from '../../../src/engine/runFile';
import { RunSession } from '../../../src/engine/session';

/** A version-1 run.json as the first exports wrote it: no createdAt, no state, no replay; one 1×1×2×2 mask layer. */
const V1_TEXT = `{
  "version": 1,
  "backend": { "backend": "cpu", "adapter": "tfjs cpu" },
  "config": { "ssl": { "method": "byol" }, "steps": 40, "syncp": { "granularity": "unstructured", "density": 0.5 } },
  "history": [
    { "step": 0, "knn": 0.25 },
    { "step": 5, "loss": 3.5, "lr": 0.001, "density": { "s1.b0.conv1": { "online": 0.5, "target": 0.75 } }, "flops": { "dense": 100, "effective": 60 }, "oldField": 1 }
  ],
  "masks": { "layers": [ { "name": "s1.b0.conv1", "shape": [1, 1, 2, 2], "online": "AQABAA==", "target": "AQEBAA==" } ] }
}`;

describe('run.json versions', () => {
  it('a hand-written version-1 file migrates to the current version: same run, nothing to continue from', () => {
    expect(RUN_FILE_VERSION).toBe(2);
    const v1 = RunFileV1Schema.parse(JSON.parse(V1_TEXT));
    const v2 = migrateRunFile(v1);
    expect(v2.version).toBe(2);
    expect(v2.createdAt).toBe('');
    expect(v2.state).toBeUndefined();
    expect(v2.replay).toBeUndefined();
    expect(v2.masks).toEqual(v1.masks);
    expect(v2.history).toEqual(v1.history);

    const read = parseRunFile(V1_TEXT);
    expect(read.version).toBe(2);
    expect(read.config.ssl.method).toBe('byol');
    expect(read.config.syncp?.density).toBe(0.5);
    // base64 "AQABAA==" is the bytes 1 0 1 0; "AQEBAA==" is 1 1 1 0.
    expect([...read.masks[0].online]).toEqual([1, 0, 1, 0]);
    expect([...read.masks[0].target]).toEqual([1, 1, 1, 0]);
    expect(read.history[0]).toEqual({ step: 0, knn: 0.25 });
    // A field the schema does not declare is dropped, the declared ones are kept as written.
    expect(read.history[1]).toEqual({ step: 5, loss: 3.5, lr: 0.001, density: { 's1.b0.conv1': { online: 0.5, target: 0.75 } }, flops: { dense: 100, effective: 60 } });
  });

  it('a file saved when a batch larger than the training images was cut to them reads with the batch it trained with', () => {
    const text = V1_TEXT.replace('"steps": 40,', '"steps": 40, "batchSize": 64, "data": { "trainCount": 40 },');
    const read = parseRunFile(text);
    expect(read.config.batchSize).toBe(40);
    expect(read.config.data.trainCount).toBe(40);
    // A new config with that batch is refused at its field.
    expect(() => buildConfig({ overrides: { batchSize: 64, data: { trainCount: 40 } } })).toThrow(/batchSize: the batch cannot be larger/);
  });

  it('settings refused since, read as they ran: Fashion-MNIST counts cut to what ships, strides beyond the stages dropped, CDG groups as the layers used them', () => {
    const fashion = parseRunFile(V1_TEXT.replace('"steps": 40,', '"steps": 40, "data": { "name": "fashion-mnist", "trainCount": 60000, "testCount": 9000 },'));
    expect(fashion.config.data).toMatchObject({ name: 'fashion-mnist', trainCount: 10_000, testCount: 2_000 });
    const strides = parseRunFile(V1_TEXT.replace('"steps": 40,', '"steps": 40, "model": { "widths": [8, 16], "strides": [1, 2, 2] },'));
    expect(strides.config.model.strides).toEqual([1, 2]);
    // Groups 3 over widths 8 and 16 ran as 2 in every layer (the largest divisor ≤ 3 of each).
    const groups = parseRunFile(V1_TEXT.replace('"steps": 40,', '"steps": 40, "model": { "widths": [8, 16] },').replace('"syncp": { "granularity": "unstructured", "density": 0.5 }', '"cdg": { "saliency": "channel-group", "groups": 3 }').replace('"method": "byol"', '"method": "simclr"'));
    expect(groups.config.cdg?.groups).toBe(2);
    // Widths 9 and 16 at groups 4 ran 3 and 4 groups: no one setting says that, so it is refused with the rule's message.
    expect(() => parseRunFile(V1_TEXT.replace('"steps": 40,', '"steps": 40, "model": { "widths": [9, 16] },').replace('"syncp": { "granularity": "unstructured", "density": 0.5 }', '"cdg": { "saliency": "channel-group", "groups": 4 }').replace('"method": "byol"', '"method": "simclr"'))).toThrow(/channel groups must divide every stage width/);
  });

  it('a saved CDG groups setting is replaced only by one each layer counts the same groups with (random widths and groups)', () => {
    // The groups a layer of width w ran with setting g, stated here apart from the code: the largest divisor of w not above g.
    const ranWith = (w: number, g: number) => Math.max(...Array.from({ length: Math.min(g, w) }, (_, i) => i + 1).filter((d) => w % d === 0));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 2, max: 64 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 16 }), (widths, g) => {
        const config = { steps: 40, model: { widths }, cdg: { saliency: 'channel-group', groups: g } };
        const ran = new Set(widths.map((w) => ranWith(w, g)));
        let read: number | undefined;
        try {
          read = parseSavedConfig(config).cdg?.groups;
        } catch {
          // Refused: exactly when the layers ran different group counts.
          expect(ran.size).toBeGreaterThan(1);
          return;
        }
        expect(ran.size).toBe(1);
        for (const w of widths) {
          expect(w % read!).toBe(0);
          expect(effectiveGroups(w, read!)).toBe(ranWith(w, g));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a version-1 file cannot carry a trainer state (it could not be continued), and a typed field of the wrong type is refused', () => {
    const withState = JSON.parse(V1_TEXT);
    withState.state = { version: 1, step: 5, peakLr: 0.01, optimizerSteps: 5, plugins: {}, weights: 'model.json' };
    expect(parseRunFile(JSON.stringify(withState)).state).toBeUndefined();
    const bad = JSON.parse(V1_TEXT);
    bad.history[1].density = { 's1.b0.conv1': { online: 'half', target: 0.75 } };
    expect(() => parseRunFile(JSON.stringify(bad))).toThrow(/run file is malformed — history\.1\.density\.s1\.b0\.conv1\.online/);
    const newer = JSON.parse(V1_TEXT);
    newer.version = 3;
    expect(() => parseRunFile(JSON.stringify(newer))).toThrow(/version 3 is newer than this app understands \(2\)/);
  });
});

describe('rows', () => {
  it('every field of a real run’s rows (SyncCP and CDG together) and of its mask updates is declared by the schemas', async () => {
    const before = tf.memory().numTensors;
    const dataset = await loadDataset('shapes', { seed: 3, trainCount: 48, testCount: 24 });
    const config = buildConfig({
      preset: 'syncp-2of4',
      tiny: true,
      overrides: { steps: 6, eval: { knnEvery: 3 }, cdg: { density: 0.5, schedule: { start: 0, end: 0.5, every: 0.2 } }, syncp: { schedule: { start: 0, end: 0.5, every: 0.2 } } },
    });
    const s = new RunSession(config, dataset);
    await s.measureBaselines();
    const seen = new Set<string>();
    let updates = 0;
    const sp = s.trainer.plugins.find(isWeightMaskSource)!;
    while (!s.done) {
      const { row } = await s.trainStep();
      // .strict(): a field the schema does not declare fails the parse.
      MetricsRowSchema.strict().parse(row);
      for (const k of Object.keys(row)) seen.add(k);
      if (sp.lastUpdateStep !== null) {
        const u = sp.updateSummary();
        MaskUpdateSchema.parse({ step: u.step, layers: u.layers });
        updates++;
      }
    }
    for (const row of s.history) MetricsRowSchema.strict().parse(row);
    // The run exercised what the schema types: both plugins reported, kNN ran, masks were updated.
    expect([...seen].sort()).toEqual(['density', 'flops', 'gateDensity', 'gateTarget', 'knn', 'loss', 'lr', 'ms', 'step']);
    expect(updates).toBeGreaterThan(0);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
