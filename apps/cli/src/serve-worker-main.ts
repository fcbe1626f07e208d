// The entry of a `natkit serve --workers N` worker process (started by node:cluster).
import { runServeWorkerProcess } from './commands/serve-worker.js';

runServeWorkerProcess();
