// The worker thread's side of values-yaml-thread.ts: check each values.yaml it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { checkValuesYaml } from './values-yaml.js';

export interface ValuesYamlJob {
  id: number;
  text: string;
}

parentPort?.on('message', ({ id, text }: ValuesYamlJob) => {
  parentPort?.postMessage({ id, problems: checkValuesYaml(text) });
});
