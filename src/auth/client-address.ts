import { isIPv4, isIPv6 } from 'node:net';

/**
 * The identity login failures are counted under, for a client address (the socket's peer, or the
 * forwarded address when the peer is a trusted proxy).
 *
 * - An IPv4 address stands for itself; `::ffff:192.0.2.1` (IPv4 on an IPv6 socket) is `192.0.2.1`, so one
 *   client is not two depending on how the server listens.
 * - An IPv6 address stands for its /64: that is what one subscriber or site gets, and counting single
 *   addresses would give whoever holds a /64 2^64 fresh limits.
 * - Anything else (no address: a closed socket) is kept as it is.
 */
export function throttleKeyOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] && isIPv4(mapped[1])) return mapped[1];
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, lower case, without leading zeros; a zone (`%eth0`) is dropped. */
function expandIPv6(address: string): string[] {
  const withoutZone = address.split('%')[0] ?? '';
  const [head = '', tail] = withoutZone.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (`::1.2.3.4`, `64:ff9b::1.2.3.4`) fills the last two groups.
  const last = tailGroups.length > 0 ? tailGroups : headGroups;
  const dotted = last.at(-1);
  if (dotted?.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    last.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return groups.map((group) => Number.parseInt(group, 16).toString(16));
}
