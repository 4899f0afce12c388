// The page side of e2e/pageCheck.ts: switch tfjs to `backend`, run `check` there and put its
// result (or why it could not run) on window[name] for the spec to read.
import * as tf from '@tensorflow/tfjs';

export type Published<T> = { backend: string; error?: string } & Partial<T>;

export function publish<T extends object>(name: string, backend: string, check: () => Promise<T>): void {
  const w = window as unknown as Record<string, Published<T>>;
  void (async () => {
    try {
      await tf.setBackend(backend);
      const now = tf.getBackend();
      // On another backend the spec's backend assertion fails with what ran instead.
      w[name] = (now === backend ? { backend: now, ...(await check()) } : { backend: now }) as Published<T>;
    } catch (e) {
      w[name] = { backend: tf.getBackend(), error: (e as Error).stack ?? String(e) } as Published<T>;
    }
  })();
}
