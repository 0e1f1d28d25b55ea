// notifications.endpoints (Distribution's keys plus secret and maxbackoff), changefeed and retention: their
// defaults, durations, the environment's whole-list spelling, and clear refusals.
import { describe, expect, it } from 'vitest';
import { load, loadError, writeConfigFile } from './support.js';

describe('notifications, changefeed and retention keys', () => {
  it('reads a Distribution endpoint with its defaults, and a retention rule per pattern over the global one', () => {
    const file = writeConfigFile(`
notifications:
  endpoints:
    - name: ci
      url: https://ci.example.com/hook
      headers: {Authorization: [Bearer abc]}
      backoff: 2s
      secret: s3cr3t
    - {name: off, url: "http://10.0.0.1/", disabled: true, timeout: 500ms, threshold: 3}
changefeed: {maxage: 720h}
retention:
  schedule: 24h
  keeplast: 10
  keeppulledwithin: 168h
  packs:
    - {pattern: "cni-*", keeplast: 3, keeptagged: false}
`);
    const { config } = load({ file });
    expect(config.notifications.endpoints).toEqual([
      { name: 'ci', url: 'https://ci.example.com/hook', headers: { Authorization: ['Bearer abc'] }, timeoutMs: 5000, threshold: 20, backoffMs: 2000, maxBackoffMs: 600_000, disabled: false, secret: 's3cr3t' },
      { name: 'off', url: 'http://10.0.0.1/', headers: {}, timeoutMs: 500, threshold: 3, backoffMs: 1000, maxBackoffMs: 600_000, disabled: true },
    ]);
    expect(config.changeFeed.maxAgeMs).toBe(720 * 3_600_000);
    expect(config.retention).toEqual({
      scheduleMs: 24 * 3_600_000,
      rules: [
        { pattern: 'cni-*', keepLast: 3, keepTagged: false, keepPulledWithinMs: 168 * 3_600_000 },
        { pattern: '*', keepLast: 10, keepTagged: true, keepPulledWithinMs: 168 * 3_600_000 },
      ],
    });
  });

  it('takes whole lists from the environment', () => {
    const { config } = load({
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS: '[{name: hook, url: "http://127.0.0.1:9/x", threshold: 2}]',
        REGISTRY_RETENTION_KEEPWITHIN: '720h',
        REGISTRY_RETENTION_PACKS: '[{pattern: "a?c"}]',
      },
    });
    expect(config.notifications.endpoints.map((endpoint) => [endpoint.name, endpoint.threshold])).toEqual([['hook', 2]]);
    expect(config.retention.rules.map((rule) => [rule.pattern, rule.keepWithinMs])).toEqual([['a?c', 720 * 3_600_000], ['*', 720 * 3_600_000]]);
  });

  it('refuses a URL that is not http(s), credentials in it, a repeated name and an unknown key, naming each', () => {
    const error = loadError({
      env: {
        REGISTRY_NOTIFICATIONS_ENDPOINTS:
          '[{name: a, url: "ftp://x/"}, {name: b, url: "https://u:p@x/"}, {name: a, url: "https://x/"}, {name: c, url: "https://x/", retries: 3}]',
      },
    });
    expect(error.problems.map((problem) => problem.key)).toEqual([
      'notifications.endpoints[0].url',
      'notifications.endpoints[1].url',
      'notifications.endpoints[3].retries',
      'notifications.endpoints[2].name',
    ]);
    expect(error.problems[0]?.message).toMatch(/http\(s\) URL/);
  });

  it("accepts Distribution's per-endpoint filters with a warning: there are no media types here to filter", () => {
    const file = writeConfigFile(`
notifications:
  events: {includereferences: true}
  endpoints:
    - name: alistener
      url: https://mylistener.example.com/event
      timeout: 500ms
      threshold: 5
      backoff: 1s
      ignoredmediatypes: [application/octet-stream]
      ignore: {mediatypes: [application/octet-stream], actions: [pull]}
`);
    const { config, warnings } = load({ file });
    expect(config.notifications.endpoints.map((endpoint) => [endpoint.name, endpoint.threshold, endpoint.timeoutMs])).toEqual([['alistener', 5, 500]]);
    expect(warnings.map((warning) => warning.slice(0, warning.indexOf(':')))).toEqual([
      'notifications.events',
      'notifications.endpoints[0].ignoredmediatypes',
      'notifications.endpoints[0].ignore',
    ]);
  });
});
