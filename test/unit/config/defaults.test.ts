import { describe, expect, it } from 'vitest';
import type { RegistryConfig } from '../../../src/config/index.js';
import { load, writeConfigFile } from './support.js';

const contractDefaults: RegistryConfig = {
  log: { level: 'info', formatter: 'json' },
  storage: { kind: 'filesystem', rootDirectory: '/srv/registry/storage', readOnly: false },
  index: { driver: 'sqlite' },
  http: {
    host: undefined,
    port: 5000,
    headers: {
      'X-Content-Type-Options': ['nosniff'],
      'Strict-Transport-Security': ['max-age=63072000; includeSubdomains; preload'],
      'Content-Security-Policy': ["default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"],
      'X-Frame-Options': ['DENY'],
      'X-XSS-Protection': ['1; mode=block'],
      'Referrer-Policy': ['same-origin'],
    },
    drainTimeoutMs: 30_000,
    trustedProxies: [],
    externalUrl: undefined,
    timeouts: { handshakeMs: 10_000, headerMs: 20_000, requestMs: 900_000, idleMs: 120_000, lingerMs: 5_000 },
    maxConnections: 1024,
    tls: {
      enabled: true,
      certificate: '/srv/registry/certs/tls.crt',
      key: '/srv/registry/certs/tls.key',
      clientCas: [],
      minimumTls: 'TLSv1.2',
      selfSigned: { enabled: true, hosts: ['localhost', '127.0.0.1', '::1'] },
    },
    debug: { prometheus: { enabled: false, path: '/metrics' } },
  },
  auth: { kind: 'htpasswd', realm: 'basic-realm', path: '/srv/registry/storage/htpasswd', admins: ['admin'] },
  limits: {
    maxUploadSize: 536_870_912,
    maxUnpackedSize: 2_147_483_648,
    maxEntries: 10_000,
    maxConcurrentUploads: 8,
    maxConcurrentFileReads: 2,
    authFailures: 10,
    authWindowMs: 60_000,
    authFailuresPerAddress: 30,
    maxConcurrentLogins: 2,
    maxQueuedLogins: 64,
  },
  notifications: { endpoints: [] },
  changeFeed: { maxAgeMs: 2160 * 3_600_000 },
  // No limit is set: the global rule keeps everything.
  retention: { scheduleMs: undefined, rules: [{ pattern: '*', keepTagged: true }] },
};

describe('defaults', () => {
  it('gives the contract defaults with no file and no environment, paths absolute against cwd', () => {
    const { config, warnings } = load({ cwd: '/srv/registry' });
    expect(config).toStrictEqual(contractDefaults);
    expect(warnings).toEqual([]);
  });

  it('resolves relative paths against the cwd option', () => {
    const { config } = load({ cwd: '/elsewhere' });
    expect(config.storage).toEqual({ kind: 'filesystem', rootDirectory: '/elsewhere/storage', readOnly: false });
    expect(config.http.tls.certificate).toBe('/elsewhere/certs/tls.crt');
  });

  it('treats an empty file the same as no file', () => {
    expect(load({ file: writeConfigFile('') }).config).toStrictEqual(contractDefaults);
  });

  it('treats sections written without a value (log:) as all defaults', () => {
    const file = writeConfigFile('version: 0.1\nlog:\nstorage:\nhttp:\n  tls:\nauth:\nlimits:\n');
    expect(load({ file }).config).toStrictEqual(contractDefaults);
  });

  it('accepts the contract sample file and gives the same configuration as the defaults', () => {
    const file = writeConfigFile(`
version: 0.1
log:
  level: info
  formatter: json
storage:
  filesystem:
    rootdirectory: ./storage
  maintenance:
    readonly: {enabled: false}
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
    Strict-Transport-Security: [max-age=63072000; includeSubdomains; preload]
    Content-Security-Policy: ["default-src 'self'; img-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"]
    X-Frame-Options: [DENY]
    X-XSS-Protection: [1; mode=block]
    Referrer-Policy: [same-origin]
  tls:
    certificate: ./certs/tls.crt
    key: ./certs/tls.key
    clientcas: []
    minimumtls: tls1.2
    selfsigned:
      enabled: true
      hosts: [localhost, 127.0.0.1, "::1"]
auth:
  htpasswd:
    realm: basic-realm
    path: ./storage/htpasswd
    admins: [admin]
limits:
  maxuploadsize: 536870912
  maxunpackedsize: 2147483648
  maxentries: 10000
`);
    expect(load({ file }).config).toStrictEqual(contractDefaults);
  });

  it('keeps defaults independent between loads', () => {
    const first = load().config;
    if (first.auth.kind === 'htpasswd') first.auth.admins.push('mallory');
    first.http.tls.selfSigned.hosts.push('evil.example');
    const second = load().config;
    expect(second.auth).toMatchObject({ admins: ['admin'] });
    expect(second.http.tls.selfSigned.hosts).toEqual(['localhost', '127.0.0.1', '::1']);
  });
});
