// A React root in happy-dom for component tests (files that start with
// `// @vitest-environment happy-dom`): a fresh host element per test, unmounted after it.
import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach } from 'vitest';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** Registers the set-up and tear-down; `host` is the current test's element. */
export function domRoot(): { readonly host: HTMLElement; render(node: ReactNode): Promise<void> } {
  let root: Root;
  let host: HTMLElement;
  beforeEach(() => {
    host = document.createElement('div');
    document.body.append(host);
    root = createRoot(host);
  });
  afterEach(() => {
    act(() => root.unmount());
    host.remove();
  });
  return {
    get host() {
      return host;
    },
    render: async (node) => {
      await act(() => root.render(node));
    },
  };
}
