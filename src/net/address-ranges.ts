import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Why an address is not on the public internet: what a refusal names. */
export type AddressKind =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared (CGNAT)'
  | 'multicast'
  | 'reserved';

const V4_RANGES: [string, number, AddressKind][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6_RANGES: [string, number, AddressKind][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'reserved'],
  ['2001:db8::', 32, 'reserved'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'],
  ['ff00::', 8, 'multicast'],
];

const lists = new Map<AddressKind, BlockList>();
for (const [network, prefix, kind] of [...V4_RANGES, ...V6_RANGES]) {
  const list = lists.get(kind) ?? new BlockList();
  list.addSubnet(network, prefix, isIPv4(network) ? 'ipv4' : 'ipv6');
  lists.set(kind, list);
}

/**
 * What kind of non-public address `ip` is, or undefined for a public one. IPv6 forms that carry
 * an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64
 * `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo `2001::/32`) are judged by
 * the IPv4 address they reach.
 *
 * @example
 *   addressKind('8.8.8.8'); // → undefined
 *   addressKind('64:ff9b::127.0.0.1'); // → 'loopback'
 */
export function addressKind(ip: string): AddressKind | undefined {
  const address = ip.replace(/%.*$/, '');
  if (isIPv4(address)) return kindIn(address, 'ipv4');
  if (!isIPv6(address)) return 'reserved';
  const embedded = embeddedIPv4(ipv6Bytes(address));
  if (embedded) return kindIn(embedded, 'ipv4');
  return kindIn(address, 'ipv6');
}

function kindIn(address: string, family: 'ipv4' | 'ipv6'): AddressKind | undefined {
  for (const [kind, list] of lists) if (list.check(address, family)) return kind;
  return undefined;
}

function embeddedIPv4(bytes: number[]): string | undefined {
  const word = (index: number) => ((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0);
  const zero = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  const v4 = (from: number, mask = 0) =>
    bytes
      .slice(from, from + 4)
      .map((byte) => byte ^ mask)
      .join('.');
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible; :: and ::1 are judged as IPv6 above).
  if (zero(0, 10) && word(10) === 0xffff) return v4(12);
  if (zero(0, 12) && !zero(12, 15)) return v4(12);
  if (word(0) === 0x64 && word(2) === 0xff9b && (zero(4, 12) || word(4) === 1)) return v4(12);
  if (word(0) === 0x2002) return v4(2);
  // Teredo: the client's address is stored inverted in the last 32 bits.
  if (word(0) === 0x2001 && word(2) === 0) return v4(12, 0xff);
  return undefined;
}

/** The 16 bytes of a valid IPv6 address text (with `::` and an optional dotted IPv4 tail). */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    text = `${text.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - (tail === undefined ? 0 : groups(tail).length);
  const all = [
    ...groups(head),
    ...Array<string>(tail === undefined ? 0 : missing).fill('0'),
    ...groups(tail ?? ''),
  ];
  return all.flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}
