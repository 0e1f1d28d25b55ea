import { chmodSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/index.js';
import { load, loadError, temporaryDirectory, writeConfigFile } from './support.js';

describe('invalid values', () => {
  it.each([
    ['http.addr', 'http:\n  addr: abc\n', 'http.addr: expected host:port like ":5000", got "abc"'],
    ['http.addr', 'http:\n  addr: ":99999"\n', 'http.addr: expected a port from 0 to 65535, got ":99999"'],
    ['http.addr', 'http:\n  addr: 5000\n', 'http.addr: expected host:port like ":5000", got 5000'],
    ['http.addr', 'http:\n  addr: "[nope]:5000"\n', 'http.addr: expected an IPv6 address inside [ ], got "[nope]:5000"'],
    ['log.level', 'log:\n  level: verbose\n', 'log.level: expected one of debug, info, warn, error, got "verbose"'],
    ['log.formatter', 'log:\n  formatter: logstash\n', 'log.formatter: expected one of json, text, got "logstash"'],
    ['limits.maxuploadsize', 'limits:\n  maxuploadsize: -1\n', 'limits.maxuploadsize: expected a positive whole number, got -1'],
    ['limits.maxentries', 'limits:\n  maxentries: 0\n', 'limits.maxentries: expected a positive whole number, got 0'],
    ['limits.maxunpackedsize', 'limits:\n  maxunpackedsize: 1.5\n', 'limits.maxunpackedsize: expected a positive whole number, got 1.5'],
    ['limits.maxuploadsize', 'limits:\n  maxuploadsize: 512MB\n', 'limits.maxuploadsize: expected a positive whole number, got "512MB"'],
    ['http.tls.minimumtls', 'http:\n  tls:\n    minimumtls: tls1.1\n', 'http.tls.minimumtls: expected one of tls1.2, tls1.3, got "tls1.1"'],
    ['http.tls.enabled', 'http:\n  tls:\n    enabled: "no"\n', 'http.tls.enabled: expected true or false, got "no"'],
    ['http.draintimeout', 'http:\n  draintimeout: soon\n', 'http.draintimeout: expected a duration like "30s", "500ms" or "1m", or a number of seconds, got "soon"'],
    ['http.draintimeout', 'http:\n  draintimeout: -5\n', 'http.draintimeout: expected a duration'],
    ['version', 'version: 0.2\n', 'version: expected 0.1, got 0.2'],
    ['storage', 'storage: gcs\n', 'storage: expected a mapping or one of filesystem, s3, inmemory, got "gcs"'],
    ['storage', 'storage:\n  filesystem: {rootdirectory: /a}\n  inmemory: {}\n', 'storage: choose one of filesystem, inmemory, not several'],
    ['storage.gcs', 'storage:\n  gcs: {bucket: packs}\n', 'storage.gcs: unsupported storage driver (supported: filesystem, s3, inmemory)'],
    ['auth.token', 'auth:\n  token: {realm: x}\n', 'auth.token: unsupported auth kind (supported: htpasswd, none)'],
    ['auth', 'auth:\n  htpasswd: {}\n  none: {}\n', 'auth: choose one of htpasswd, none, not several'],
    ['auth.htpasswd.realm', 'auth:\n  htpasswd:\n    realm: say "hi"\n', 'auth.htpasswd.realm: a realm must not contain quotes'],
    ['auth.htpasswd.admins[0]', 'auth:\n  htpasswd:\n    admins: ["a:b"]\n', 'auth.htpasswd.admins[0]: a user name must not contain ":"'],
    ['auth.htpasswd.path', 'auth:\n  htpasswd:\n    path: ""\n', 'auth.htpasswd.path: must not be empty'],
    ['http.tls.selfsigned.hosts[1]', 'http:\n  tls:\n    selfsigned:\n      hosts: [ok.example, "not ok"]\n', 'http.tls.selfsigned.hosts[1]: expected a host name or IP address, got "not ok"'],
    ['http.headers.Bad Header', 'http:\n  headers:\n    "Bad Header": [x]\n', 'http.headers.Bad Header: "Bad Header" is not a valid HTTP header name'],
    ['http.debug.prometheus.path', 'http:\n  debug:\n    prometheus: {path: metrics}\n', 'http.debug.prometheus.path: expected a URL path starting with "/"'],
    ['http.debug.addr', 'http:\n  addr: :5000\n  debug:\n    addr: localhost:5000\n', 'http.debug.addr: must not use the same port as http.addr (5000)'],
    ['log', 'log: [debug]\n', 'log: expected a mapping, got a list'],
  ])('refuses a bad %s from the file, naming the key and the line', (key, yaml, message) => {
    const file = writeConfigFile(yaml);
    const error = loadError({ file });
    expect(error.key).toBe(key);
    expect(error.message).toContain(message);
    expect(error.message).toMatch(new RegExp(`\\(at ${file.replaceAll('.', '\\.')}:\\d+\\)$`));
  });

  it('names the variable when a bad value came from the environment', () => {
    const error = loadError({ env: { REGISTRY_HTTP_ADDR: 'abc' } });
    expect(error.key).toBe('http.addr');
    expect(error.message).toBe('http.addr: expected host:port like ":5000", got "abc" (from REGISTRY_HTTP_ADDR)');
  });

  it('blames the environment, not the file, for a value the environment replaced', () => {
    const file = writeConfigFile('limits:\n  maxuploadsize: 10\n');
    const error = loadError({ file, env: { REGISTRY_LIMITS_MAXUPLOADSIZE: '-1' } });
    expect(error.message).toBe('limits.maxuploadsize: expected a positive whole number, got -1 (from REGISTRY_LIMITS_MAXUPLOADSIZE)');
  });

  it('names the line of the offending key in the file', () => {
    const file = writeConfigFile('version: 0.1\nlog:\n  level: info\nhttp:\n  addr: abc\n');
    expect(loadError({ file }).message).toBe(`http.addr: expected host:port like ":5000", got "abc" (at ${file}:5)`);
  });

  it('lists every problem, one line each, not just the first', () => {
    const file = writeConfigFile('log:\n  level: loud\nhttp:\n  addr: abc\nlimits:\n  maxentries: -3\n');
    const error = loadError({ file, env: { REGISTRY_HTTP_TLS_MINIMUMTLS: 'tls1.1' } });
    const lines = error.message.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines.map((line) => line.slice(0, line.indexOf(':')))).toEqual([
      'log.level',
      'http.addr',
      'http.tls.minimumtls',
      'limits.maxentries',
    ]);
    expect(error.problems.map((problem) => problem.key)).toEqual(['log.level', 'http.addr', 'http.tls.minimumtls', 'limits.maxentries']);
    expect(error.key).toBe('log.level');
  });

  it('refuses an empty environment value for a setting that needs one', () => {
    const error = loadError({ env: { REGISTRY_LOG_LEVEL: '' } });
    expect(error.message).toBe('log.level: expected one of debug, info, warn, error, got nothing (from REGISTRY_LOG_LEVEL)');
  });
});

describe('unknown keys', () => {
  it('refuses a typo in the file, naming the key and suggesting the right one', () => {
    const file = writeConfigFile('limits:\n  maxuploadsise: 1000\n');
    const error = loadError({ file });
    expect(error.key).toBe('limits.maxuploadsise');
    expect(error.message).toBe(`limits.maxuploadsise: unknown key (did you mean maxuploadsize?) (at ${file}:2)`);
  });

  it('refuses an unknown top-level key', () => {
    const error = loadError({ file: writeConfigFile('colour: blue\n') });
    expect(error.key).toBe('colour');
    expect(error.message).toMatch(/^colour: unknown key/);
  });

  it('refuses a key under a setting that is a single value', () => {
    const error = loadError({ env: { REGISTRY_LOG_LEVEL_DEFAULT: 'info' } });
    expect(error.key).toBe('log.level.default');
    expect(error.message).toBe('log.level.default: log.level is a single value and has no keys (from REGISTRY_LOG_LEVEL_DEFAULT)');
  });

  it('refuses an unknown REGISTRY_ variable, naming it and suggesting the right one', () => {
    const error = loadError({ env: { REGISTRY_LIMITS_MAXUPLOADSISE: '1000' } });
    expect(error.key).toBe('limits.maxuploadsise');
    expect(error.message).toBe(
      'limits.maxuploadsise: unknown key (did you mean REGISTRY_LIMITS_MAXUPLOADSIZE?) (from REGISTRY_LIMITS_MAXUPLOADSISE)',
    );
  });

  it('refuses an unknown top-level REGISTRY_ variable', () => {
    expect(loadError({ env: { REGISTRY_COLOUR: 'blue' } }).message).toBe('colour: unknown key (from REGISTRY_COLOUR)');
  });

  it('explains that single response headers cannot be set from the environment', () => {
    const error = loadError({ env: { REGISTRY_HTTP_HEADERS_X: 'DENY' } });
    expect(error.message).toContain('cannot be set one by one from the environment');
    expect(error.message).toContain('REGISTRY_HTTP_HEADERS');
    expect(error.message).toContain('(from REGISTRY_HTTP_HEADERS_X)');
  });

  it('refuses an unsupported storage driver variable', () => {
    expect(loadError({ env: { REGISTRY_STORAGE_GCS_BUCKET: 'packs' } }).message).toBe(
      'storage.gcs: unsupported storage driver (supported: filesystem, s3, inmemory) (from REGISTRY_STORAGE_GCS_BUCKET)',
    );
  });

  it('refuses two variables that select different storage drivers', () => {
    const error = loadError({ env: { REGISTRY_STORAGE: 'inmemory', REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/data' } });
    expect(error.key).toBe('storage');
    expect(error.message).toContain('REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY selects filesystem but REGISTRY_STORAGE selects inmemory');
  });

  it('refuses two variables that select different auth kinds', () => {
    const error = loadError({ env: { REGISTRY_AUTH: 'none', REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd' } });
    expect(error.key).toBe('auth');
  });
});

describe('the file itself', () => {
  it('names a missing file', () => {
    const directory = temporaryDirectory();
    const error = loadError({ file: 'missing.yml', cwd: directory });
    expect(error.key).toBe('');
    expect(error.message).toBe(`config file ${directory}/missing.yml: cannot read it: no such file`);
  });

  it('names a directory given as the file', () => {
    const directory = temporaryDirectory();
    expect(loadError({ file: directory }).message).toBe(`config file ${directory}: cannot read it: it is a directory`);
  });

  it.skipIf(process.getuid?.() === 0)('names an unreadable file', () => {
    const file = writeConfigFile('log: {}\n');
    chmodSync(file, 0o000);
    expect(loadError({ file }).message).toBe(`config file ${file}: cannot read it: permission denied`);
  });

  it('names the file and line of a YAML syntax error', () => {
    const file = writeConfigFile('version: 0.1\nhttp:\n  addr: [::1]:5000\n');
    const error = loadError({ file });
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(new RegExp(`^config file ${file.replaceAll('.', '\\.')}: invalid YAML at line 3, column \\d+: `));
  });

  it('refuses a duplicate key as invalid YAML', () => {
    const file = writeConfigFile('log:\n  level: info\n  level: debug\n');
    expect(loadError({ file }).message).toMatch(/invalid YAML at line 3/);
  });

  it('refuses a file whose top level is not a mapping', () => {
    const file = writeConfigFile('- a\n- b\n');
    expect(loadError({ file }).message).toBe(`config file ${file}: expected a mapping of settings at the top level`);
  });

  it('loads a valid file after an invalid one (no state kept between loads)', () => {
    loadError({ file: writeConfigFile('log: {level: loud}\n') });
    expect(load({ file: writeConfigFile('log: {level: warn}\n') }).config.log.level).toBe('warn');
  });
});
