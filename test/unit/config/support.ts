import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import type { LoadConfigOptions } from '../../../src/config/index.js';
import { whenDone } from '../../helpers/cleanup.js';

/**
 * A fresh directory that is removed after the test. Registered per call, not by a module-level afterEach: test
 * files share this module (vitest `isolate: false`), and a hook registered at import would serve only the first.
 */
export function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'pack-registry-config-'));
  whenDone(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

/** Writes `text` as config.yml in a fresh directory and returns its path. */
export function writeConfigFile(text: string, name = 'config.yml'): string {
  const path = join(temporaryDirectory(), name);
  writeFileSync(path, text);
  return path;
}

/** Loads with an empty environment unless one is given, so the runner's own variables never leak in. */
export function load(options: LoadConfigOptions = {}) {
  return loadConfig({ env: {}, cwd: '/srv/registry', ...options });
}

/** The ConfigError that loading throws; fails the test when loading succeeds. */
export function loadError(options: LoadConfigOptions = {}): ConfigError {
  try {
    load(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}
