/** The model worker's bundle (dist/browser/worker.js): serves createModelInWorker's calls. */
import { serveModel } from './api/worker-host.js';

serveModel(self as unknown as Parameters<typeof serveModel>[0]);
