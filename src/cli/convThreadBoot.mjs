// A conv helper thread's first module (plain JavaScript: a Worker cannot load TypeScript
// itself). It loads the TypeScript entry through tsx's API, as the CLIs run under tsx.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
