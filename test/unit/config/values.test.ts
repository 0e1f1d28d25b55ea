import { describe, expect, it } from 'vitest';
import { IGNORED_DISTRIBUTION_KEYS, parseDurationMs, parseListenAddress } from '../../../src/config/index.js';
import { load, writeConfigFile } from './support.js';

describe('listen addresses', () => {
  it.each([
    [':5000', undefined, 5000],
    ['127.0.0.1:5443', '127.0.0.1', 5443],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['[::1]:5000', '::1', 5000],
    ['[::]:5000', '::', 5000],
    ['0.0.0.0:5000', '0.0.0.0', 5000],
    ['localhost:65535', 'localhost', 65535],
  ])('reads %s as host %s, port %s', (addr, host, port) => {
    const { config } = load({ env: { REGISTRY_HTTP_ADDR: addr } });
    expect(config.http.host).toBe(host);
    expect(config.http.port).toBe(port);
  });

  it('reads a quoted IPv6 address from the file', () => {
    const { config } = load({ file: writeConfigFile('http:\n  addr: "[::1]:5000"\n') });
    expect(config.http).toMatchObject({ host: '::1', port: 5000 });
  });

  it.each(['abc', ':99999', '5000', '127.0.0.1', 'a b:5000', '[]:5000', '::1:5000', ':-1', ''])('refuses %j', (addr) => {
    expect(parseListenAddress(addr).ok).toBe(false);
  });

  it('reads the debug address and prometheus settings', () => {
    const file = writeConfigFile('http:\n  debug:\n    addr: 127.0.0.1:5001\n    prometheus:\n      enabled: true\n');
    const { config } = load({ file });
    expect(config.http.debug).toEqual({ addr: { host: '127.0.0.1', port: 5001 }, prometheus: { enabled: true, path: '/metrics' } });
  });

  it('allows port 0 for both the server and the debug address (tests ask for free ports)', () => {
    const { config } = load({ env: { REGISTRY_HTTP_ADDR: '127.0.0.1:0', REGISTRY_HTTP_DEBUG_ADDR: '127.0.0.1:0' } });
    expect(config.http.port).toBe(0);
    expect(config.http.debug.addr).toEqual({ host: '127.0.0.1', port: 0 });
  });
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['0', 0],
    [10, 10_000],
    [0.25, 250],
  ])('reads draintimeout %j as %d ms', (value, milliseconds) => {
    const file = writeConfigFile(`http:\n  draintimeout: ${JSON.stringify(value)}\n`);
    expect(load({ file }).config.http.drainTimeoutMs).toBe(milliseconds);
  });

  it('reads a number of seconds from the environment', () => {
    expect(load({ env: { REGISTRY_HTTP_DRAINTIMEOUT: '5' } }).config.http.drainTimeoutMs).toBe(5000);
  });

  it.each(['soon', '30', '-1s', '1d', '1s 2s', '', 's', -1])('refuses %j', (value) => {
    expect(parseDurationMs(value)).toBeUndefined();
  });
});

describe('response headers', () => {
  it('replaces a default header the file names, case-insensitively, and keeps the others', () => {
    const file = writeConfigFile('http:\n  headers:\n    x-frame-options: [SAMEORIGIN]\n    Cache-Control: no-store\n');
    const { headers } = load({ file }).config.http;
    expect(headers['x-frame-options']).toEqual(['SAMEORIGIN']);
    expect(headers['X-Frame-Options']).toBeUndefined();
    expect(headers['Cache-Control']).toEqual(['no-store']);
    expect(headers['Referrer-Policy']).toEqual(['same-origin']);
  });

  it('drops a default header the file sets to an empty list', () => {
    const file = writeConfigFile('http:\n  headers:\n    Strict-Transport-Security: []\n');
    expect(load({ file }).config.http.headers).not.toHaveProperty('Strict-Transport-Security');
  });
});

describe('other forms the contract allows', () => {
  it('accepts version as a string', () => {
    expect(() => load({ file: writeConfigFile('version: "0.1"\n') })).not.toThrow();
  });

  it.each(['storage:\n  inmemory:\n', 'storage:\n  inmemory: {}\n', 'storage: inmemory\n'])('selects memory storage from %j', (yaml) => {
    expect(load({ file: writeConfigFile(yaml) }).config.storage).toEqual({ kind: 'inmemory', readOnly: false });
  });

  it('keeps the filesystem driver when storage only sets maintenance', () => {
    const file = writeConfigFile('storage:\n  maintenance:\n    readonly: {enabled: true}\n');
    expect(load({ file }).config.storage).toEqual({ kind: 'filesystem', rootDirectory: '/srv/registry/storage', readOnly: true });
  });

  it.each(['auth: none\n', 'auth:\n  none: {}\n', 'auth:\n  none:\n'])('disables auth from %j with a warning', (yaml) => {
    const { config, warnings } = load({ file: writeConfigFile(yaml) });
    expect(config.auth).toEqual({ kind: 'none' });
    expect(warnings).toHaveLength(1);
  });

  it('accepts auth: htpasswd with the default htpasswd settings', () => {
    const { config } = load({ file: writeConfigFile('auth: htpasswd\n') });
    expect(config.auth).toEqual({ kind: 'htpasswd', realm: 'basic-realm', path: '/srv/registry/storage/htpasswd', admins: ['admin'] });
  });

  it('maps minimumtls tls1.3 to TLSv1.3 and turns TLS off only when told', () => {
    const file = writeConfigFile('http:\n  tls:\n    enabled: false\n    minimumtls: tls1.3\n');
    expect(load({ file }).config.http.tls).toMatchObject({ enabled: false, minimumTls: 'TLSv1.3' });
  });
});

describe('Distribution settings this registry does not use', () => {
  it('accepts and reports them, from a copied Distribution config', () => {
    const file = writeConfigFile(`version: 0.1
log:
  accesslog: {disabled: true}
  fields:
    service: registry
storage:
  delete: {enabled: true}
  cache:
    blobdescriptor: inmemory
  redirect: {disable: true}
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  secret: asecretforlocaldevelopment
  host: https://registry.example.com
  prefix: /registry
  relativeurls: false
  http2: {disabled: false}
health:
  storagedriver: {enabled: true, interval: 10s, threshold: 3}
notifications:
  endpoints: []
redis:
  addr: localhost:6379
middleware: {}
validation: {disabled: true}
compatibility: {schema1: {enabled: false}}
proxy: {remoteurl: https://registry-1.docker.io}
reporting: {}
`);
    const { config, warnings } = load({ file });
    expect(config.storage).toMatchObject({ kind: 'filesystem', rootDirectory: '/var/lib/registry' });
    expect(warnings.map((warning) => warning.slice(0, warning.indexOf(':')))).toEqual(
      expect.arrayContaining([
        'log.accesslog',
        'log.fields',
        'storage.delete',
        'storage.cache',
        'storage.redirect',
        'http.secret',
        'http.prefix',
        'http.relativeurls',
        'http.http2',
        'health',
        'redis',
        'middleware',
        'validation',
        'compatibility',
        'proxy',
        'reporting',
      ]),
    );
    // `http.host` is not among them: it is this registry's key too (the origin in `logoUrl`).
    expect(config.http.externalUrl).toBe('https://registry.example.com');
    // `notifications` is not either: its endpoints are this registry's webhooks (an empty list here).
    expect(config.notifications.endpoints).toEqual([]);
    expect(warnings).toHaveLength(16);
    expect(warnings[0]).toMatch(/ignored$/);
  });

  it('accepts and reports them from the environment, in a stable order', () => {
    const { warnings } = load({ env: { REGISTRY_STORAGE_DELETE_ENABLED: 'true', REGISTRY_HTTP_SECRET: 's3cr3t', REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES: 'true' } });
    expect(warnings).toEqual([
      'REGISTRY_HTTP_SECRET: http.secret is a Docker Distribution setting this registry does not use; ignored',
      'REGISTRY_NOTIFICATIONS_EVENTS_INCLUDEREFERENCES: notifications.events is a Docker Distribution setting this registry does not use; ignored',
      'REGISTRY_STORAGE_DELETE_ENABLED: storage.delete is a Docker Distribution setting this registry does not use; ignored',
    ]);
  });

  it('lists the keys named by the contract among the ignored ones', () => {
    expect(IGNORED_DISTRIBUTION_KEYS).toEqual(expect.arrayContaining(['storage.delete', 'http.secret', 'health', 'proxy']));
  });

  it('ignores Kubernetes service link variables for a service named "registry"', () => {
    const { config, warnings } = load({
      env: {
        REGISTRY_PORT: 'tcp://10.0.0.7:5000',
        REGISTRY_PORT_5000_TCP: 'tcp://10.0.0.7:5000',
        REGISTRY_PORT_5000_TCP_ADDR: '10.0.0.7',
        REGISTRY_SERVICE_HOST: '10.0.0.7',
        REGISTRY_SERVICE_PORT: '5000',
      },
    });
    expect(config.http.port).toBe(5000);
    expect(warnings).toHaveLength(5);
  });
});
