// Bundled by e2e/webglCdg.spec.ts (e2e/pageCheck.ts) and run in the app's page: CDG's WebGL
// programs against their references (src/bench/gateCheck.ts, src/bench/webglCdgCheck.ts).
import { checkGate } from '../../src/bench/gateCheck';
import { checkWebGLGatedConv } from '../../src/bench/webglCdgCheck';
import { publish } from './publish';

export type WebglCdgResult = { gate: Awaited<ReturnType<typeof checkGate>>; conv: Awaited<ReturnType<typeof checkWebGLGatedConv>> };

publish<WebglCdgResult>('__webglCdg', 'webgl', async () => ({ gate: await checkGate(false), conv: await checkWebGLGatedConv() }));
