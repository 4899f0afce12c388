// The CDG bars' labels against what cdg.ts pools into each bar: the branches of each
// method, by mask slot. A slot that holds both views of one network is a network's bar;
// a slot that holds one view is that view's bar.
import { describe, expect, it } from 'vitest';
import { maskSlot } from '../../../src/engine/plugin';
import { SSL_METHOD_NAMES } from '../../../src/engine/ssl/methodInfo';
import { sslMethod } from '../../../src/engine/ssl/registry';
import { branchLabels } from '../../../src/ui/transforms/branchLabels';

describe('branchLabels', () => {
  it.each(SSL_METHOD_NAMES)('%s: each bar is named after what its mask slot pools', (name) => {
    const branches = sslMethod(name).branches();
    const labels = branchLabels(name);
    (['online', 'target'] as const).forEach((slot, i) => {
      const pooled = branches.filter((b) => maskSlot(b.role) === slot);
      const views = [...new Set(pooled.map((b) => b.view))];
      const networks = [...new Set(pooled.map((b) => b.network))];
      expect(networks).toHaveLength(1);
      if (views.length === 2) expect(labels[i]).toBe(`${networks[0]} network (both views)`);
      else expect(labels[i]).toBe(`branch ${i + 1} (view ${views[0] + 1})`);
    });
  });
});
