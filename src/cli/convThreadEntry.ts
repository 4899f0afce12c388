// The conv helper thread (convThreads.ts): serves split conv calls until told to stop.
import { workerData } from 'node:worker_threads';
import { serveConvRequests } from '../engine/kernels/convThreads';

serveConvRequests(workerData.ctrl as SharedArrayBuffer, workerData.arena as SharedArrayBuffer);
