import { describe, expect, it } from 'vitest';
import { load, writeConfigFile } from './support.js';

const spectroSample = `version: 0.1
log:
  level: debug
storage: inmemory
http:
  addr: :5000
  tls:
    certificate: /etc/spectropaxconfig/tls.crt
    key: /etc/spectropaxconfig/tls.key
auth:
  htpasswd:
    realm: basic-realm
    path: /etc/spectropaxconfig/htpasswd-basic
`;

/** The variables the Spectro docs pass to `docker run` for the registry container. */
const spectroDockerEnv = {
  REGISTRY_LOG_LEVEL: 'info',
  REGISTRY_AUTH: 'htpasswd',
  REGISTRY_AUTH_HTPASSWD_REALM: 'Registry Realm',
  REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd-basic',
  REGISTRY_HTTP_TLS_CERTIFICATE: '/certs/tls.crt',
  REGISTRY_HTTP_TLS_KEY: '/certs/tls.key',
};

describe('the Spectro documentation samples', () => {
  it('reads the Spectro sample file: debug log, memory storage, its TLS files and htpasswd', () => {
    const { config, warnings } = load({ file: writeConfigFile(spectroSample) });
    expect(config.log).toEqual({ level: 'debug', formatter: 'json' });
    expect(config.storage).toEqual({ kind: 'inmemory', readOnly: false });
    expect(config.http).toMatchObject({ host: undefined, port: 5000 });
    expect(config.http.tls).toMatchObject({
      enabled: true,
      certificate: '/etc/spectropaxconfig/tls.crt',
      key: '/etc/spectropaxconfig/tls.key',
    });
    expect(config.auth).toEqual({
      kind: 'htpasswd',
      realm: 'basic-realm',
      path: '/etc/spectropaxconfig/htpasswd-basic',
      admins: ['admin'],
    });
    expect(warnings).toEqual([]);
  });

  it('configures htpasswd auth and TLS from the Spectro docker environment alone', () => {
    const { config } = load({ env: spectroDockerEnv });
    expect(config.log.level).toBe('info');
    expect(config.auth).toEqual({ kind: 'htpasswd', realm: 'Registry Realm', path: '/auth/htpasswd-basic', admins: ['admin'] });
    expect(config.http.tls).toMatchObject({ certificate: '/certs/tls.crt', key: '/certs/tls.key' });
  });

  it('takes a realm whose quotes survived an env file as the text inside them', () => {
    const { config } = load({ env: { ...spectroDockerEnv, REGISTRY_AUTH_HTPASSWD_REALM: '"Registry Realm"' } });
    expect(config.auth).toMatchObject({ realm: 'Registry Realm' });
  });

  it('lets the docker environment override the sample file', () => {
    const { config } = load({ file: writeConfigFile(spectroSample), env: spectroDockerEnv });
    expect(config.log.level).toBe('info');
    expect(config.storage.kind).toBe('inmemory');
    expect(config.auth).toEqual({ kind: 'htpasswd', realm: 'Registry Realm', path: '/auth/htpasswd-basic', admins: ['admin'] });
    expect(config.http.tls).toMatchObject({ certificate: '/certs/tls.crt', key: '/certs/tls.key' });
  });
});

describe('environment overrides', () => {
  it('overrides a file value and keeps the file values it does not name', () => {
    const file = writeConfigFile('log:\n  level: debug\n  formatter: text\nhttp:\n  addr: 127.0.0.1:5000\n');
    const { config } = load({ file, env: { REGISTRY_LOG_LEVEL: 'warn', REGISTRY_HTTP_ADDR: ':5443' } });
    expect(config.log).toEqual({ level: 'warn', formatter: 'text' });
    expect(config.http).toMatchObject({ host: undefined, port: 5443 });
  });

  it('reads booleans, numbers and flow lists as YAML', () => {
    const { config } = load({
      env: {
        REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED: 'true',
        REGISTRY_HTTP_TLS_ENABLED: 'false',
        REGISTRY_LIMITS_MAXUPLOADSIZE: '1000',
        REGISTRY_HTTP_TLS_SELFSIGNED_HOSTS: '[a, b]',
        REGISTRY_AUTH_HTPASSWD_ADMINS: '[alice,bob]',
      },
    });
    expect(config.storage.readOnly).toBe(true);
    expect(config.http.tls.enabled).toBe(false);
    expect(config.limits.maxUploadSize).toBe(1000);
    expect(config.http.tls.selfSigned.hosts).toEqual(['a', 'b']);
    expect(config.auth).toMatchObject({ admins: ['alice', 'bob'] });
  });

  it('keeps a plain value as its exact text, a "#" included', () => {
    const { config } = load({ env: { REGISTRY_AUTH_HTPASSWD_REALM: 'Team #1 registry' } });
    expect(config.auth).toMatchObject({ realm: 'Team #1 registry' });
  });

  it('takes a single admin name as a list of one', () => {
    const { config } = load({ env: { REGISTRY_AUTH_HTPASSWD_ADMINS: 'alice' } });
    expect(config.auth).toMatchObject({ admins: ['alice'] });
  });

  it('selects the filesystem driver with REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY over a file that says inmemory', () => {
    const file = writeConfigFile('storage: inmemory\n');
    const { config } = load({ file, env: { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/data/.spectro-server' } });
    expect(config.storage).toEqual({ kind: 'filesystem', rootDirectory: '/data/.spectro-server', readOnly: false });
  });

  it('selects the memory driver with REGISTRY_STORAGE=inmemory and keeps the file maintenance settings', () => {
    const file = writeConfigFile('storage:\n  filesystem:\n    rootdirectory: /data\n  maintenance:\n    readonly:\n      enabled: true\n');
    const { config } = load({ file, env: { REGISTRY_STORAGE: 'inmemory' } });
    expect(config.storage).toEqual({ kind: 'inmemory', readOnly: true });
  });

  it('sets maintenance over a file that says storage: inmemory, keeping the memory driver', () => {
    const file = writeConfigFile('storage: inmemory\n');
    const { config } = load({ file, env: { REGISTRY_STORAGE_MAINTENANCE_READONLY_ENABLED: 'true' } });
    expect(config.storage).toEqual({ kind: 'inmemory', readOnly: true });
  });

  it('REGISTRY_AUTH=htpasswd turns auth back on over a file with auth: none, keeping defaults', () => {
    const file = writeConfigFile('auth: none\n');
    const { config, warnings } = load({ file, env: { REGISTRY_AUTH: 'htpasswd' } });
    expect(config.auth).toEqual({ kind: 'htpasswd', realm: 'basic-realm', path: '/srv/registry/storage/htpasswd', admins: ['admin'] });
    expect(warnings).toEqual([]);
  });

  it('REGISTRY_AUTH=htpasswd keeps the htpasswd settings the file gives', () => {
    const file = writeConfigFile('auth:\n  htpasswd:\n    realm: Files\n    admins: [root]\n');
    const { config } = load({ file, env: { REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_PATH: '/auth/htpasswd' } });
    expect(config.auth).toEqual({ kind: 'htpasswd', realm: 'Files', path: '/auth/htpasswd', admins: ['root'] });
  });

  it('REGISTRY_AUTH=none disables auth and warns about it', () => {
    const { config, warnings } = load({ env: { REGISTRY_AUTH: 'none' } });
    expect(config.auth).toEqual({ kind: 'none' });
    expect(warnings).toEqual([expect.stringContaining('auth: none')]);
  });

  it('an htpasswd variable turns auth on over a file with auth: none', () => {
    const file = writeConfigFile('auth:\n  none: {}\n');
    const { config } = load({ file, env: { REGISTRY_AUTH_HTPASSWD_REALM: 'Registry Realm' } });
    expect(config.auth).toMatchObject({ kind: 'htpasswd', realm: 'Registry Realm' });
  });

  it('sets a whole section from a flow mapping', () => {
    const { config } = load({ env: { REGISTRY_LOG: '{level: error, formatter: text}' } });
    expect(config.log).toEqual({ level: 'error', formatter: 'text' });
  });

  it('sets the response headers from a flow mapping, merged with the defaults', () => {
    const { config } = load({ env: { REGISTRY_HTTP_HEADERS: '{X-Frame-Options: [SAMEORIGIN]}' } });
    expect(config.http.headers['X-Frame-Options']).toEqual(['SAMEORIGIN']);
    expect(config.http.headers['X-Content-Type-Options']).toEqual(['nosniff']);
  });

  it('ignores variables without the REGISTRY_ prefix and unset ones', () => {
    const { config } = load({ env: { HOME: '/root', PATH: '/bin', REGISTRYX: '1', REGISTRY_LOG_LEVEL: undefined } });
    expect(config.log.level).toBe('info');
  });

  it('applies a short path before a longer one whatever the environment order', () => {
    const { config } = load({ env: { REGISTRY_AUTH_HTPASSWD_REALM: 'R', REGISTRY_AUTH: 'htpasswd' } });
    expect(config.auth).toMatchObject({ kind: 'htpasswd', realm: 'R' });
  });

  it('reads process.env when no env option is given', () => {
    process.env['REGISTRY_LOG_FORMATTER'] = 'text';
    try {
      expect(load({ env: undefined }).config.log.formatter).toBe('text');
    } finally {
      delete process.env['REGISTRY_LOG_FORMATTER'];
    }
  });

  it('resolves the file path and relative paths inside it against cwd', () => {
    const file = writeConfigFile('storage:\n  filesystem:\n    rootdirectory: data\nhttp:\n  tls:\n    clientcas: [ca/one.pem, /etc/ca/two.pem]\n');
    const directory = file.slice(0, file.lastIndexOf('/'));
    const { config } = load({ file: 'config.yml', cwd: directory });
    expect(config.storage).toMatchObject({ rootDirectory: `${directory}/data` });
    expect(config.http.tls.clientCas).toEqual([`${directory}/ca/one.pem`, '/etc/ca/two.pem']);
  });
});
