// The worker thread's side of values-yaml-thread.ts: check each YAML file (values.yaml, presets.yaml, schema.yaml) it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import { checkYamlFile } from './pack-yaml.js';
import type { YamlFileName } from './values-yaml.js';

export interface ValuesYamlJob {
  id: number;
  text: string;
  file: YamlFileName;
}

parentPort?.on('message', ({ id, text, file }: ValuesYamlJob) => {
  parentPort?.postMessage({ id, problems: checkYamlFile(text, file) });
});
