// Start the real registry for a test: real HTTPS on 127.0.0.1 with a generated self-signed certificate,
// a real bcrypt htpasswd file, real SQLite and blob files in a temporary folder. For what needs the listener
// itself (TLS, socket timeouts, lingering close) and for packctl as a child process; API behaviour is tested
// faster against the app alone (app.ts), composed the same way.
import { readFile, rm } from 'node:fs/promises';
import { pino } from 'pino';
import request from 'supertest';
import { startRegistry, type RunningRegistry } from '../../src/cli/serve.js';
import type { RegistryConfig } from '../../src/config/schema.js';
import { whenDone } from './cleanup.js';
import { prepareRegistryFolder, type RegistryFolderOptions } from './registry-folder.js';
import type { RegistryUnderTest } from './push.js';

export { makeTempDir, writeHtpasswd } from './files.js';
export { pushArchive } from './push.js';
export { ADMIN, READER } from './users.js';

export interface TestRegistry extends RegistryUnderTest {
  config: RegistryConfig;
  running: RunningRegistry;
  /** The generated self-signed certificate, to trust it as a CA (the supertest methods already do). */
  ca: Buffer;
}

export type TestRegistryOptions = RegistryFolderOptions;

export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const { dir, config, madeFolder } = await prepareRegistryFolder(options);
  const running = await startRegistry(config, { logger: pino({ level: 'silent' }), announce: () => {} });
  const ca = config.http.tls.enabled ? await readFile(config.http.tls.certificate) : Buffer.alloc(0);
  const trust = (test: request.Test) => (config.http.tls.enabled ? test.ca(ca) : test);
  const agent = request(running.url);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await running.stop();
  };
  const destroy = async () => {
    await stop();
    if (madeFolder) await rm(dir, { recursive: true, force: true });
  };
  whenDone(destroy);
  return {
    dir,
    url: running.url,
    config,
    running,
    ca,
    get: (path) => trust(agent.get(path)),
    head: (path) => trust(agent.head(path)),
    post: (path) => trust(agent.post(path)),
    put: (path) => trust(agent.put(path)),
    del: (path) => trust(agent.delete(path)),
    stop,
    destroy,
  };
}
