import { describe, expect, it } from 'vitest';
import { throttleKeyOf } from '../../src/auth/client-address.js';

describe('the key login failures count under', () => {
  it('is an IPv4 address itself, also when it arrives on an IPv6 socket', () => {
    expect(throttleKeyOf('192.0.2.7')).toBe('192.0.2.7');
    expect(throttleKeyOf('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(throttleKeyOf('::FFFF:127.0.0.2')).toBe('127.0.0.2');
  });

  it('is the /64 of an IPv6 address, however the address is spelled', () => {
    const key = '2001:db8:0:1::/64';
    expect(throttleKeyOf('2001:db8:0:1::1')).toBe(key);
    expect(throttleKeyOf('2001:0db8:0000:0001:ffff:0:0:9')).toBe(key);
    expect(throttleKeyOf('2001:DB8:0:1:a:b:c:d')).toBe(key);
    expect(throttleKeyOf('2001:db8:0:1::1%eth0')).toBe(key);
    expect(throttleKeyOf('2001:db8:0:2::1')).not.toBe(key);
    expect(throttleKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(throttleKeyOf('fe80::1')).toBe('fe80:0:0:0::/64');
    expect(throttleKeyOf('64:ff9b::192.0.2.7')).toBe('64:ff9b:0:0::/64');
  });

  it('keeps anything that is not an address as it is', () => {
    expect(throttleKeyOf('')).toBe('');
    expect(throttleKeyOf('not-an-address')).toBe('not-an-address');
  });
});
