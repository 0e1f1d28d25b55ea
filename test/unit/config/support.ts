import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import type { LoadConfigOptions } from '../../../src/config/index.js';

const directories: string[] = [];

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** A fresh directory that is removed after the test. */
export function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'pack-registry-config-'));
  directories.push(directory);
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
