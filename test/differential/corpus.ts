// Crafted archives around the tar constructs readers disagree on. `HOSTILE` ones must be refused (each
// with the rule it gets); `UNUSUAL` ones are odd but read alike by every reader, and must be accepted.
// Every archive holds a valid pack in the folder `pack/`, so only the construct under test decides.
import { gzipSync } from 'node:zlib';
import { BLOCK, MAGIC, TAR_END, entry, file, gnuLong, header, packEntries, pax, tarGz, writeChecksum } from '../helpers/tar-header.js';

export interface CraftedArchive {
  name: string;
  archive: () => Buffer;
}

export interface HostileArchive extends CraftedArchive {
  rule: 'tar-ambiguous' | 'archive-corrupt';
  /** Words the problem's message contains. */
  words: string;
  /**
   * Some of Go, Python, GNU tar and bsdtar list other entries than node-tar (or fail where node-tar
   * reads on): a smuggling construct, not only an odd one.
   */
  differential: boolean;
}

const PACK = packEntries();

/** What a smuggler hides from node-tar: a second values.yaml, a link to /etc/passwd, `../../x`, an absolute path. */
function smuggled(): Buffer {
  return Buffer.concat([
    file('pack/values.yaml', 'evil: true\n'),
    entry({ name: 'pack/passwd', typeflag: '2', linkname: '/etc/passwd' }),
    file('../../x', 'escaped\n'),
    file('/etc/cron.d/evil', '* * * * * root id\n'),
  ]);
}

/** A header with one field's bytes replaced (the checksum recomputed). */
function patched(name: string, body: string, offset: number, bytes: Buffer): Buffer {
  const bodyBytes = Buffer.from(body);
  return Buffer.concat([header({ name, size: bodyBytes.length, patches: [[offset, bytes]] }), bodyBytes, Buffer.alloc((BLOCK - (bodyBytes.length % BLOCK)) % BLOCK)]);
}

/** `value` as a GNU base-256 number of `width` bytes (first byte 0x80 or, when negative, 0xff). */
function base256(value: bigint, width = 12): Buffer {
  const bytes = Buffer.alloc(width);
  let rest = BigInt.asUintN(width * 8 - 1, value);
  for (let index = width - 1; index > 0; index--) {
    bytes[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  bytes[0] = value < 0n ? 0xff : 0x80;
  return bytes;
}

export const HOSTILE: HostileArchive[] = [
  {
    name: 'a PAX global header with a size record before an empty ustar entry',
    rule: 'tar-ambiguous',
    words: 'global header',
    differential: true,
    archive: () => {
      const hidden = smuggled();
      return tarGz([PACK, pax([['size', String(hidden.length)]], 'g'), file('pack/README.md', ''), hidden]);
    },
  },
  {
    name: 'a ustar magic with version "\\0\\0" and a prefix of ../../..',
    rule: 'tar-ambiguous',
    words: 'magic and version',
    differential: true,
    archive: () => tarGz([PACK, file('pack/evil.sh', 'echo owned\n', { prefix: '../../..', magic: Buffer.from('ustar\0\0\0', 'latin1') })]),
  },
  {
    name: 'a PAX global header with a path record',
    rule: 'tar-ambiguous',
    words: 'global header',
    differential: true,
    archive: () => tarGz([PACK, pax([['path', '../../etc/evil']], 'g'), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'a prefix field in a V7 header',
    rule: 'tar-ambiguous',
    words: 'prefix',
    differential: true,
    archive: () => tarGz([PACK, file('pack/README.md', 'hello\n', { magic: MAGIC.v7, uname: '', gname: '', prefix: '../..' })]),
  },
  {
    name: 'a prefix field in a GNU header',
    rule: 'tar-ambiguous',
    words: 'prefix',
    differential: true,
    archive: () => tarGz([PACK, file('pack/README.md', 'hello\n', { magic: MAGIC.gnu, prefix: '../..' })]),
  },
  {
    name: 'a lone zero block between entries',
    rule: 'tar-ambiguous',
    words: 'lone zero block',
    differential: true,
    archive: () => tarGz([PACK, Buffer.alloc(BLOCK), file('pack/values.yaml', 'evil: true\n')]),
  },
  {
    name: 'a negative base-256 size',
    rule: 'tar-ambiguous',
    words: 'size field',
    differential: true,
    archive: () => tarGz([PACK, patched('pack/README.md', '', 124, base256(-1n)), smuggled()]),
  },
  {
    name: 'bytes after the end-of-archive marker',
    rule: 'tar-ambiguous',
    words: 'after its end-of-archive marker',
    differential: false,
    archive: () => tarGz([PACK, TAR_END, smuggled()]),
  },
  {
    name: 'a second gzip member that inflates to more entries after the end marker',
    rule: 'tar-ambiguous',
    words: 'after its end-of-archive marker',
    differential: false,
    archive: () => Buffer.concat([tarGz([PACK]), gzipSync(Buffer.concat([smuggled(), TAR_END]))]),
  },
  {
    name: 'bytes after the gzip stream that zlib skips (they start with a NUL)',
    rule: 'tar-ambiguous',
    words: 'follow the end of the gzip stream',
    differential: false,
    archive: () => Buffer.concat([tarGz([PACK]), Buffer.from('\0hidden payload')]),
  },
  {
    name: 'a PAX size record that differs from the header size',
    rule: 'tar-ambiguous',
    words: 'PAX size',
    // The four readers and node-tar all apply the record; a reader that trusts the header would not.
    differential: false,
    archive: () => {
      const hidden = smuggled();
      return tarGz([PACK, pax([['size', String(hidden.length)]]), file('pack/README.md', ''), hidden]);
    },
  },
  {
    name: 'a PAX GNU.sparse record',
    rule: 'tar-ambiguous',
    words: 'GNU.sparse.major',
    differential: false,
    archive: () => tarGz([PACK, pax([['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0']]), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'a PAX type record (node-tar only)',
    rule: 'tar-ambiguous',
    words: '"type"',
    differential: false,
    archive: () => tarGz([PACK, pax([['type', '5']]), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'a PAX mode record (node-tar only)',
    rule: 'tar-ambiguous',
    words: '"mode"',
    differential: false,
    archive: () => tarGz([PACK, pax([['mode', '4755']]), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'a newline in an xattr value that node-tar reads as a path record',
    rule: 'tar-ambiguous',
    words: 'newline',
    differential: true,
    archive: () => tarGz([PACK, pax([['SCHILY.xattr.user.x', '1\n18 path=pack/a.txt']]), file('../../../etc/evil', 'owned\n')]),
  },
  {
    name: 'a PAX record whose length is wrong (node-tar skips it, Go fails)',
    rule: 'tar-ambiguous',
    words: 'malformed record',
    differential: true,
    archive: () => tarGz([PACK, pax(Buffer.from('99 path=../../../etc/evil\n')), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'bytes after the last PAX record',
    rule: 'tar-ambiguous',
    words: 'malformed record',
    differential: true,
    archive: () => tarGz([PACK, pax(Buffer.from('20 path=pack/a.txt\n\0\0\0')), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'a PAX path record given twice',
    rule: 'tar-ambiguous',
    words: 'twice',
    differential: false,
    archive: () => tarGz([PACK, pax([['path', 'pack/a.txt'], ['path', '../../evil']]), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'two PAX headers before one entry',
    rule: 'tar-ambiguous',
    words: 'second extended header',
    differential: true,
    archive: () => tarGz([PACK, pax([['path', 'pack/a.txt']]), pax([['path', '../../evil']]), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'a PAX path and a GNU long name for the same entry',
    rule: 'tar-ambiguous',
    words: 'both a PAX and a GNU',
    differential: true,
    archive: () => tarGz([PACK, pax([['path', 'pack/a.txt']]), gnuLong('../../evil'), file('pack/README.md', 'hello\n', { magic: MAGIC.gnu })]),
  },
  {
    name: 'a Solaris X extended header (node-tar applies it, others do not)',
    rule: 'tar-ambiguous',
    words: 'type flag "X"',
    differential: true,
    archive: () => tarGz([PACK, pax([['path', 'pack/a.txt']], 'x', { typeflag: 'X' }), file('../../evil', 'owned\n')]),
  },
  {
    name: 'an old GNU N long-name header (node-tar applies it, others do not)',
    rule: 'tar-ambiguous',
    words: 'type flag "N"',
    differential: true,
    archive: () => tarGz([PACK, gnuLong('pack/a.txt', 'L', { typeflag: 'N' }), file('../../evil', 'owned\n', { magic: MAGIC.gnu })]),
  },
  {
    name: 'a GNU long name in a ustar header',
    rule: 'tar-ambiguous',
    words: 'not in a GNU header',
    differential: false,
    archive: () => tarGz([PACK, gnuLong(`pack/${'l'.repeat(120)}.txt`, 'L', { magic: MAGIC.ustar }), file('pack/long.txt', 'hello\n')]),
  },
  {
    name: 'a PAX header followed by no entry',
    rule: 'tar-ambiguous',
    words: 'followed by no entry',
    differential: false,
    archive: () => tarGz([PACK, pax([['path', 'pack/a.txt']])]),
  },
  {
    name: 'a PAX path that is not UTF-8',
    rule: 'tar-ambiguous',
    words: 'not UTF-8',
    differential: true,
    archive: () => tarGz([PACK, pax([['path', Buffer.from([0x70, 0x61, 0x63, 0x6b, 0x2f, 0xff, 0x2f, 0x2e, 0x2e])]]), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'an extended header larger than 1 MiB',
    rule: 'tar-ambiguous',
    words: 'more than the',
    differential: true,
    archive: () => tarGz([PACK, pax([['comment', 'x'.repeat(1024 * 1024)], ['path', '../../evil']]), file('pack/README.md', 'hello\n')]),
  },
  {
    name: 'a setuid file',
    rule: 'tar-ambiguous',
    words: 'setuid',
    differential: false,
    archive: () => tarGz([PACK, file('pack/run.sh', '#!/bin/sh\n', { mode: 0o4755 })]),
  },
  {
    name: 'a setgid folder',
    rule: 'tar-ambiguous',
    words: 'setgid',
    differential: false,
    archive: () => tarGz([PACK, entry({ name: 'pack/shared/', typeflag: '5', mode: 0o2775 })]),
  },
  {
    name: 'a sticky folder',
    rule: 'tar-ambiguous',
    words: 'sticky',
    differential: false,
    archive: () => tarGz([PACK, entry({ name: 'pack/tmp/', typeflag: '5', mode: 0o1777 })]),
  },
  {
    name: 'a folder with a body (node-tar reads it as headers)',
    rule: 'tar-ambiguous',
    words: 'has a size of',
    differential: true,
    archive: () => {
      const hidden = smuggled();
      return tarGz([PACK, Buffer.concat([header({ name: 'pack/docs/', typeflag: '5', size: hidden.length }), hidden])]);
    },
  },
  {
    name: 'a regular file whose name ends with a slash (node-tar reads a folder)',
    rule: 'tar-ambiguous',
    words: 'ends with "/"',
    differential: true,
    archive: () => {
      const hidden = smuggled();
      return tarGz([PACK, Buffer.concat([header({ name: 'pack/docs/', typeflag: '0', size: hidden.length }), hidden])]);
    },
  },
  {
    name: 'bytes after the NUL that ends the name field',
    rule: 'tar-ambiguous',
    words: 'after its end',
    differential: false,
    archive: () => tarGz([PACK, file(Buffer.from('pack/a.txt\0\n../../evil').toString('latin1'), 'x', { name: Buffer.from('pack/a.txt\0\n../../evil') })]),
  },
  {
    name: 'a star header (trailer "tar\\0") with a prefix longer than 130 bytes',
    rule: 'tar-ambiguous',
    words: 'star header',
    differential: true,
    archive: () =>
      tarGz([
        PACK,
        file('README.md', 'hello\n', {
          prefix: `pack/${'s'.repeat(140)}`,
          patches: [[508, Buffer.from('tar\0', 'latin1')]],
        }),
      ]),
  },
  {
    name: 'a size with letters after its digits (node-tar reads the digits)',
    rule: 'tar-ambiguous',
    words: 'size field',
    differential: true,
    archive: () => tarGz([PACK, patched('pack/README.md', '', 124, Buffer.from('0000000000x\0', 'latin1')), smuggled()]),
  },
  {
    name: 'a size after a leading NUL (Go and GNU tar read it, Python and node-tar do not)',
    rule: 'tar-ambiguous',
    words: 'size field',
    differential: true,
    archive: () => {
      const hidden = smuggled();
      const size = Buffer.from(`\0${hidden.length.toString(8).padStart(10, '0')}\0`, 'latin1');
      return tarGz([PACK, Buffer.concat([header({ name: 'pack/README.md', patches: [[124, size]] }), hidden])]);
    },
  },
  {
    name: 'a size with digits after a NUL',
    rule: 'tar-ambiguous',
    words: 'size field',
    differential: false,
    archive: () => tarGz([PACK, patched('pack/README.md', '', 124, Buffer.from('00000000000\0', 'latin1').fill(0, 3, 4)), smuggled()]),
  },
  {
    name: 'a mode that is not octal',
    rule: 'tar-ambiguous',
    words: 'mode field',
    differential: true,
    archive: () => tarGz([PACK, patched('pack/README.md', 'x', 100, Buffer.from('00006x4\0', 'latin1'))]),
  },
  {
    name: 'a checksum that does not match',
    rule: 'archive-corrupt',
    words: 'checksum',
    differential: false,
    archive: () => {
      const block = header({ name: 'pack/README.md' });
      writeChecksum(block, 1234);
      return tarGz([PACK, block]);
    },
  },
  {
    name: 'a checksum that only matches as a signed sum (Go, GNU tar and Python accept it)',
    rule: 'archive-corrupt',
    words: 'checksum',
    differential: false,
    archive: () => {
      const block = header({ name: 'pack/\u00e9t\u00e9.md', checksum: false });
      let signed = 0;
      for (let index = 0; index < BLOCK; index++) signed += index >= 148 && index < 156 ? 0x20 : ((block[index] ?? 0) << 24) >> 24;
      writeChecksum(block, signed);
      return tarGz([PACK, block]);
    },
  },
  {
    name: 'an archive without its end-of-archive marker',
    rule: 'archive-corrupt',
    words: 'without its end-of-archive marker',
    differential: false,
    archive: () => tarGz([PACK], { end: false }),
  },
  {
    name: 'an archive that ends after a single zero block',
    rule: 'archive-corrupt',
    words: 'single zero block',
    differential: false,
    archive: () => tarGz([PACK, Buffer.alloc(BLOCK)], { end: false }),
  },
];

/** Long names for the unusual archives. */
const LONG_PATH = `pack/manifests/${'m'.repeat(90)}/${'n'.repeat(90)}/deep.yaml`;

export const UNUSUAL: CraftedArchive[] = [
  { name: 'a GNU long name (L) before a GNU header', archive: () => tarGz([PACK, gnuLong(LONG_PATH), file(LONG_PATH.slice(0, 99), 'deep\n', { magic: MAGIC.gnu })]) },
  {
    name: 'PAX path, mtime and xattr records (a binary xattr value too)',
    archive: () =>
      tarGz([
        PACK,
        pax([
          ['path', LONG_PATH],
          ['mtime', '1700000000.123456789'],
          ['SCHILY.xattr.user.bin', Buffer.from([0, 0xff, 1, 0x3d])],
          ['LIBARCHIVE.xattr.user.note', 'aGVsbG8='],
          ['uname', 'builder'],
        ]),
        file('pack/manifests/deep.yaml', 'deep\n'),
      ]),
  },
  { name: 'a PAX size record equal to the header size (node-tar writes one)', archive: () => tarGz([PACK, pax([['size', '6']]), file('pack/README.md', 'hello\n')]) },
  { name: 'an empty PAX header', archive: () => tarGz([PACK, pax([]), file('pack/README.md', 'hello\n')]) },
  { name: 'a PAX global header with only a comment (git archive)', archive: () => tarGz([pax([['comment', '0123456789abcdef0123456789abcdef01234567']], 'g'), PACK]) },
  { name: 'a ustar prefix of 130 bytes', archive: () => tarGz([PACK, file('file.txt', 'p130\n', { prefix: `pack/${'p'.repeat(125)}` })]) },
  { name: 'a ustar prefix of 155 bytes', archive: () => tarGz([PACK, file('file.txt', 'p155\n', { prefix: `pack/${'q'.repeat(150)}` })]) },
  { name: 'a base-256 size of a small file', archive: () => tarGz([PACK, Buffer.concat([header({ name: 'pack/README.md', size: base256(6n) }), Buffer.from('hello\n'), Buffer.alloc(BLOCK - 6)])]) },
  { name: 'a base-256 uid, gid and mtime', archive: () => tarGz([PACK, file('pack/README.md', 'hello\n', { uid: base256(5_000_000n, 8), gid: base256(7n, 8), mtime: base256(-86_400n) })]) },
  {
    name: 'numbers with leading spaces and space terminators',
    archive: () => tarGz([PACK, file('pack/README.md', 'hello\n', { mode: Buffer.from('   644 \0', 'latin1'), uid: Buffer.from('  1750 \0', 'latin1'), size: Buffer.from('          6 ', 'latin1') })]),
  },
  { name: 'a V7 header', archive: () => tarGz([PACK, file('pack/old.txt', 'v7\n', { magic: MAGIC.v7, uname: '', gname: '' })]) },
  { name: 'a contiguous file (type 7) and an old regular file (type NUL)', archive: () => tarGz([PACK, file('pack/cont.bin', 'seven\n', { typeflag: '7' }), file('pack/old.bin', 'nul\n', { typeflag: '\0' })]) },
  { name: 'zero padding to a 10240-byte record and beyond', archive: () => tarGz([PACK, Buffer.alloc(20 * 10240)]) },
  { name: 'a second gzip member of zeros', archive: () => Buffer.concat([tarGz([PACK]), gzipSync(Buffer.alloc(8192))]) },
  { name: 'zero padding after the gzip stream (a blocked tape write)', archive: () => Buffer.concat([tarGz([PACK]), Buffer.alloc(4096)]) },
  { name: 'a file of 0 bytes and one of 512', archive: () => tarGz([PACK, file('pack/zero', ''), file('pack/block', Buffer.alloc(512, 0x61))]) },
  { name: 'hdrcharset BINARY (bsdtar writes it for names it cannot convert)', archive: () => tarGz([PACK, pax([['hdrcharset', 'BINARY'], ['path', 'pack/bin.txt']]), file('pack/bin', 'b\n')]) },
];
