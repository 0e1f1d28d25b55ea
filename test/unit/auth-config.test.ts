// The configuration keys of the login limits and the trusted proxies (docs/API.md, "Login limits").
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/api/index.js';
import { load, loadError, writeConfigFile } from './config/support.js';

describe('login limit and trusted proxy settings', () => {
  it('trusts no proxy and bounds logins by default', () => {
    const { config } = load();
    expect(config.http.trustedProxies).toEqual([]);
    expect(config.limits).toMatchObject({ authFailuresPerAddress: 30, maxConcurrentLogins: 2, maxQueuedLogins: 64 });
    expect(DEFAULT_LIMITS.maxConcurrentLogins).toBeLessThan(4);
  });

  it('reads them from REGISTRY_* variables', () => {
    const { config } = load({
      env: {
        REGISTRY_LIMITS_AUTHFAILURESPERADDRESS: '5',
        REGISTRY_LIMITS_MAXCONCURRENTLOGINS: '1',
        REGISTRY_LIMITS_MAXQUEUEDLOGINS: '8',
        REGISTRY_HTTP_TRUSTEDPROXIES: '[10.0.0.0/8, "fd00::/8", loopback, 192.0.2.7]',
      },
    });
    expect(config.limits).toMatchObject({ authFailuresPerAddress: 5, maxConcurrentLogins: 1, maxQueuedLogins: 8 });
    expect(config.http.trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8', 'loopback', '192.0.2.7']);
    expect(load({ env: { REGISTRY_HTTP_TRUSTEDPROXIES: '10.1.2.3' } }).config.http.trustedProxies).toEqual(['10.1.2.3']);
  });

  it('reads them from the file', () => {
    const file = writeConfigFile('http:\n  trustedproxies: [uniquelocal, "::1"]\nlimits:\n  authfailuresperaddress: 12\n');
    const { config } = load({ file });
    expect(config.http.trustedProxies).toEqual(['uniquelocal', '::1']);
    expect(config.limits.authFailuresPerAddress).toBe(12);
  });

  it.each([['everyone'], ['10.0.0.0/33'], ['fd00::/129'], ['10.0.0.0/8/8'], ['*'], ['true']])(
    'refuses %s as a trusted proxy, naming the key',
    (entry) => {
      const error = loadError({ env: { REGISTRY_HTTP_TRUSTEDPROXIES: `["${entry}"]` } });
      expect(error.key).toBe('http.trustedproxies[0]');
      expect(error.message).toContain('expected an IP address, a CIDR range like "10.0.0.0/8"');
    },
  );

  it('refuses trusting every peer (a bare true) and a hop count', () => {
    expect(loadError({ env: { REGISTRY_HTTP_TRUSTEDPROXIES: 'true' } }).key).toMatch(/^http\.trustedproxies/);
    expect(loadError({ env: { REGISTRY_HTTP_TRUSTEDPROXIES: '1' } }).key).toMatch(/^http\.trustedproxies/);
  });

  it('refuses a limit of zero logins at once', () => {
    const error = loadError({ env: { REGISTRY_LIMITS_MAXCONCURRENTLOGINS: '0' } });
    expect(error.message).toBe('limits.maxconcurrentlogins: expected a positive whole number, got 0 (from REGISTRY_LIMITS_MAXCONCURRENTLOGINS)');
  });
});
