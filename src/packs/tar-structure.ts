// An independent check of the tar stream's block structure, run beside node-tar on the same inflated
// bytes. The registry judges an upload with node-tar but stores and serves the original bytes, which
// other tar readers (Go's archive/tar in Palette, GNU tar, bsdtar, Python's tarfile) must split into
// exactly the same entries. Wherever tar implementations are known to disagree — PAX global headers,
// unknown or conflicting PAX records, a prefix field in a header whose magic is not plain ustar, odd
// magic/version pairs, lenient numbers, lone zero blocks, bytes after the end marker — this walker
// refuses, so that an accepted archive has only one reading. It also computes each entry's path and
// size by itself, and every entry node-tar reports must match it (see `matchEntry`).
//
// It works block by block on the chunks as they come: only header blocks (and the bodies of extended
// headers, at most 1 MiB) are examined; file bodies are skipped by counting, and the zero padding after
// the end marker is compared natively, so the cost stays negligible next to inflating the stream.

/** What the walker found wrong: `tar-ambiguous` for a construct readers disagree on, `archive-corrupt` for damage. */
export interface TarStructureFinding {
  rule: 'tar-ambiguous' | 'archive-corrupt';
  message: string;
  path?: string;
}

/** One entry (not an extended header) as the walker reads it, for the comparison with node-tar. */
interface EntryView {
  path: string;
  size: number;
}

const BLOCK = 512;
/** node-tar ignores extended headers larger than this, Go refuses them: no larger one is accepted. */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;

const ZERO_BLOCK = Buffer.alloc(BLOCK);
const ZEROS = Buffer.alloc(64 * 1024);

const MAGIC_USTAR = Buffer.from('ustar\u000000', 'latin1');
const MAGIC_GNU = Buffer.from('ustar  \u0000', 'latin1');
const MAGIC_V7 = Buffer.alloc(8);
const STAR_TRAILER = Buffer.from('tar\u0000', 'latin1');

type Format = 'ustar' | 'gnu' | 'v7';

// Header field offsets (POSIX ustar; GNU and V7 share the first 257 bytes).
const NAME = 0;
const MODE = 100;
const UID = 108;
const GID = 116;
const SIZE = 124;
const MTIME = 136;
const CHKSUM = 148;
const TYPEFLAG = 156;
const LINKNAME = 157;
const MAGIC = 257;
const DEVMAJOR = 329;
const DEVMINOR = 337;
const PREFIX = 345;
/** node-tar (and star) read a prefix of 130 bytes when byte 475 is NUL, and atime/ctime after it. */
const SHORT_PREFIX_END = 475;
const PREFIX_END = 500;
const STAR_TRAILER_AT = 508;

const ID_AND_TIME_FIELDS = [
  ['uid', UID, 8],
  ['gid', GID, 8],
  ['mtime', MTIME, 12],
] as const;
const DEVICE_FIELDS = [
  ['devmajor', DEVMAJOR],
  ['devminor', DEVMINOR],
] as const;
const STRING_FIELDS = [
  ['name', NAME, NAME + 100],
  ['link name', LINKNAME, LINKNAME + 100],
] as const;

const REGULAR_TYPES = new Set(['0', '\0', '7']);
/** Entries that never have a body in any reader (Go reads no body for them whatever the size field says). */
const BODILESS_TYPES = new Set(['1', '2', '3', '4', '5', '6']);
/**
 * Type flags node-tar treats as extended headers (applied to the next entry, never reported) while other
 * readers do not: `X` (Solaris) and `N` (old GNU long name) would rename an entry for node-tar only.
 */
const NODE_TAR_ONLY_META = new Set(['X', 'N']);

/** Keys of PAX extended-header records that every reader applies alike or that only carry metadata. */
const PAX_KEYS = new Set([
  'path',
  'linkpath',
  'size',
  'mtime',
  'atime',
  'ctime',
  'uid',
  'gid',
  'uname',
  'gname',
  'charset',
  'hdrcharset',
  'comment',
  'SCHILY.dev',
  'SCHILY.ino',
  'SCHILY.nlink',
  'SCHILY.fflags',
  'LIBARCHIVE.creationtime',
  'LIBARCHIVE.symlinktype',
]);
/** Extended attributes, ACLs and SELinux labels (bsdtar, macOS tar, GNU tar --xattrs): metadata, values any bytes. */
const PAX_KEY_PREFIXES = ['SCHILY.xattr.', 'LIBARCHIVE.xattr.', 'SCHILY.acl.'];
const PAX_METADATA_KEYS = new Set(['RHT.security.selinux']);
const PAX_NUMBER = /^[0-9]{1,15}$/;
const PAX_TIME = /^-?[0-9]{1,15}(\.[0-9]{1,18})?$/;
const PAX_NUMBER_KEYS = new Set(['size', 'uid', 'gid', 'SCHILY.dev', 'SCHILY.ino', 'SCHILY.nlink']);
const PAX_TIME_KEYS = new Set(['mtime', 'atime', 'ctime', 'LIBARCHIVE.creationtime']);
/** GNU tar refuses ids beyond 32 bits. */
const MAX_PAX_ID = 2 ** 32 - 1;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function quote(text: string): string {
  return JSON.stringify(text);
}

// Header fields are at most 155 bytes: plain loops over them cost less than a Buffer view each.

/** Where a NUL-terminated field ends: its first NUL, or the field's end. */
function cStringEnd(block: Buffer, start: number, end: number): number {
  for (let at = start; at < end; at++) if (block[at] === 0) return at;
  return end;
}

/** A NUL-terminated field's text, decoded as node-tar decodes it (UTF-8, invalid bytes replaced). */
function cString(block: Buffer, start: number, end: number): string {
  return block.toString('utf8', start, cStringEnd(block, start, end));
}

/** Whether every byte of block[start, end) is NUL. */
function allZero(block: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at++) if (block[at] !== 0) return false;
  return true;
}

function bytesEqual(block: Buffer, start: number, expected: Buffer): boolean {
  for (let index = 0; index < expected.length; index++) if (block[start + index] !== expected[index]) return false;
  return true;
}

type Octal = { kind: 'number'; value: number } | { kind: 'empty' } | { kind: 'base256' } | { kind: 'invalid' };

/**
 * A numeric header field read strictly: leading spaces, at least one octal digit, then only spaces and
 * NULs — the one spelling node-tar, Go, GNU tar, libarchive and Python read as the same number (a
 * leading NUL, digits after a NUL or any other byte make some of them read another number or fail).
 * A field of NULs only is `empty`; a first byte of 0x80/0xff marks GNU base-256.
 */
function readOctal(block: Buffer, start: number, width: number): Octal {
  const first = block[start] ?? 0;
  if (first === 0x80 || first === 0xff) return { kind: 'base256' };
  if (allZero(block, start, start + width)) return { kind: 'empty' };
  const end = start + width;
  let at = start;
  while (at < end && block[at] === 0x20) at++;
  const digitsStart = at;
  let value = 0;
  for (let byte = block[at] ?? 0; at < end && byte >= 0x30 && byte <= 0x37; byte = block[++at] ?? 0) value = value * 8 + (byte - 0x30);
  if (at === digitsStart) return { kind: 'invalid' };
  for (let byte = block[at] ?? 0; at < end && (byte === 0x20 || byte === 0); byte = block[++at] ?? 0);
  return at === end ? { kind: 'number', value } : { kind: 'invalid' };
}

function headerFormat(block: Buffer): Format | undefined {
  if (bytesEqual(block, MAGIC, MAGIC_USTAR)) return 'ustar';
  if (bytesEqual(block, MAGIC, MAGIC_GNU)) return 'gnu';
  if (bytesEqual(block, MAGIC, MAGIC_V7)) return 'v7';
  return undefined;
}

/**
 * A number in GNU base-256: first byte 0x80 (positive) or 0xff (negative, two's complement), then
 * big-endian bytes. Every reader decodes these alike, but only within the range each can hold.
 */
function readBase256(block: Buffer, start: number, width: number): number | undefined {
  const first = block[start];
  if (first !== 0x80 && first !== 0xff) return undefined;
  let value = 0n;
  for (let index = start + 1; index < start + width; index++) value = (value << 8n) | BigInt(block[index] ?? 0);
  if (first === 0xff) value -= 1n << BigInt(8 * (width - 1));
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}

/** A size in base-256: positive and below 2^53 (node-tar's limit; a negative size is read as 0 or an error). */
function readBase256Size(block: Buffer): number | undefined {
  const value = readBase256(block, SIZE, 12);
  return value !== undefined && value >= 0 ? value : undefined;
}

/** Base-256 ids and times within what GNU tar (32-bit ids) and Go (64-bit times) accept. */
const BASE256_RANGES = {
  uid: [0, 2 ** 32 - 1],
  gid: [0, 2 ** 32 - 1],
  mtime: [-(2 ** 40), 2 ** 40],
} as const;

/** The checksum every reader computes: the header's bytes summed as unsigned, the checksum field as spaces. */
function headerChecksum(block: Buffer): number {
  let sum = 8 * 0x20;
  for (let index = 0; index < CHKSUM; index++) sum += block[index] ?? 0;
  for (let index = CHKSUM + 8; index < BLOCK; index++) sum += block[index] ?? 0;
  return sum;
}

/** What an extended header (`x`, `g`, `L`, `K`) is collecting while its body streams past. */
interface MetaBody {
  typeflag: string;
  /** Offset of the body in the tar stream. */
  start: number;
  size: number;
  chunks: Buffer[];
  received: number;
}

/** Extended headers read so far that apply to the next entry. */
interface Pending {
  pax?: Map<string, Buffer>;
  longName?: Buffer;
  longLink?: Buffer;
  /** Offset of the first of them, for messages. */
  at: number;
}

type State = 'header' | 'body' | 'meta' | 'trailer' | 'failed';

export class TarStructureCheck {
  finding: TarStructureFinding | undefined;
  private state: State = 'header';
  /** Bytes of the tar stream seen so far. */
  private offset = 0;
  /** A header block split across chunks. */
  private readonly partial = Buffer.alloc(BLOCK);
  private partialBytes = 0;
  /** Body and padding bytes still to skip. */
  private skip = 0;
  private meta: MetaBody | undefined;
  private pending: Pending | undefined;
  /** Offset of a zero block just read, waiting for the second one of the end marker. */
  private zeroBlockAt: number | undefined;
  /** Entries read here and not yet reported by node-tar. */
  private readonly unmatched: EntryView[] = [];

  /** Reads the next inflated bytes of the tar stream. */
  write(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state !== 'failed') {
      switch (this.state) {
        case 'body': {
          const skipped = Math.min(this.skip, chunk.length - at);
          this.skip -= skipped;
          at += skipped;
          this.offset += skipped;
          if (this.skip === 0) this.state = 'header';
          break;
        }
        case 'meta':
          at = this.collectMeta(chunk, at);
          break;
        case 'header':
          at = this.readHeaderBytes(chunk, at);
          break;
        case 'trailer':
          this.checkTrailer(chunk.subarray(at));
          this.offset += chunk.length - at;
          at = chunk.length;
          break;
      }
    }
  }

  /** The tar stream has ended: it must have ended with its end marker. */
  end(): void {
    if (this.state === 'failed' || this.state === 'trailer') return;
    if (this.state === 'header' && this.partialBytes === 0) {
      const what = this.zeroBlockAt === undefined ? 'without its end-of-archive marker' : 'after a single zero block';
      this.fail('archive-corrupt', `the tar stream ends ${what} (two zero blocks): it is truncated`);
      return;
    }
    this.fail('archive-corrupt', 'the tar stream is truncated: it ends inside an entry');
  }

  /**
   * Offset in the tar stream from which bytes must reach node-tar in a single write: the body of an
   * extended header still streaming in. node-tar decodes each chunk of such a body as UTF-8 on its own,
   * so a character split between two writes would change the records it reads.
   */
  holdFrom(): number | undefined {
    return this.state === 'meta' ? this.meta?.start : undefined;
  }

  /** node-tar reported an entry (a file-system entry, not an extended header): it must be the next one read here. */
  matchEntry(path: string, size: number): void {
    if (this.finding) return;
    const mine = this.unmatched.shift();
    const same = mine !== undefined && mine.size === size && unifySeparators(mine.path) === unifySeparators(path);
    if (same) return;
    const seen = mine === undefined ? 'no entry' : `${quote(mine.path)} (${mine.size} bytes)`;
    this.fail('tar-ambiguous', `tar readers disagree about an entry: node-tar reads ${quote(path)} (${size} bytes), a strict reading finds ${seen}`, path);
  }

  /** After node-tar has read the whole stream: every entry read here must have been reported by it. */
  checkAllMatched(): void {
    if (this.finding) return;
    const left = this.unmatched[0];
    if (left) this.fail('tar-ambiguous', `tar readers disagree about the entries: node-tar does not report ${quote(left.path)}`, left.path);
  }

  private fail(rule: TarStructureFinding['rule'], message: string, path?: string): void {
    if (this.finding) return;
    this.finding = path === undefined ? { rule, message } : { rule, message, path };
    this.state = 'failed';
    this.meta = undefined;
    this.unmatched.length = 0;
  }

  private ambiguous(message: string, path?: string): void {
    this.fail('tar-ambiguous', message, path);
  }

  // -------------------------------------------------------------------------------------------------

  private readHeaderBytes(chunk: Buffer, at: number): number {
    if (this.partialBytes === 0 && chunk.length - at >= BLOCK) {
      this.readHeader(chunk.subarray(at, at + BLOCK));
      return at + BLOCK;
    }
    const taken = Math.min(BLOCK - this.partialBytes, chunk.length - at);
    chunk.copy(this.partial, this.partialBytes, at, at + taken);
    this.partialBytes += taken;
    if (this.partialBytes === BLOCK) {
      this.partialBytes = 0;
      this.readHeader(this.partial);
    }
    return at + taken;
  }

  private collectMeta(chunk: Buffer, at: number): number {
    const meta = this.meta;
    if (!meta) return at;
    const wanted = Math.min(meta.size - meta.received, chunk.length - at);
    if (wanted > 0) {
      // A copy: the chunk may be a view into a buffer that is reused.
      meta.chunks.push(Buffer.from(chunk.subarray(at, at + wanted)));
      meta.received += wanted;
    }
    this.offset += wanted;
    if (meta.received < meta.size) return at + wanted;
    this.meta = undefined;
    this.state = 'body';
    this.skip = (BLOCK - (meta.size % BLOCK)) % BLOCK;
    if (this.skip === 0) this.state = 'header';
    this.finishMeta(meta, Buffer.concat(meta.chunks));
    return at + wanted;
  }

  private checkTrailer(bytes: Buffer): void {
    for (let at = 0; at < bytes.length; at += ZEROS.length) {
      const slice = bytes.subarray(at, at + ZEROS.length);
      if (!slice.equals(ZEROS.subarray(0, slice.length))) {
        this.ambiguous(
          `the tar stream holds data after its end-of-archive marker (at byte ${this.offset + at}); tar readers ignore it, but it would be stored and served`,
        );
        return;
      }
    }
  }

  /** One 512-byte block where a header is due. */
  private readHeader(block: Buffer): void {
    const at = this.offset;
    this.offset += BLOCK;
    if (block[0] === 0 && block.equals(ZERO_BLOCK)) {
      this.readZeroBlock(at);
      return;
    }
    if (this.zeroBlockAt !== undefined) {
      this.ambiguous(
        `a lone zero block at byte ${this.zeroBlockAt} is followed by more headers: GNU tar and Python stop reading there, Go fails, node-tar reads on`,
      );
      return;
    }
    const checksum = readOctal(block, CHKSUM, 8);
    // A terminator at the field's end: node-tar reads the checksum on into the type flag otherwise.
    const terminated = block[CHKSUM + 7] === 0 || block[CHKSUM + 7] === 0x20;
    if (checksum.kind !== 'number' || !terminated || checksum.value !== headerChecksum(block)) {
      this.fail('archive-corrupt', `the tar stream is corrupt: checksum failure in the header at byte ${at}`);
      return;
    }
    const format = headerFormat(block);
    if (format === undefined) {
      this.ambiguous(
        `the header at byte ${at} has the magic and version ${quote(block.toString('latin1', MAGIC, MAGIC + 8))}: only ustar ("ustar\\u000000"), GNU ("ustar  \\u0000") and V7 (none) headers are read alike by every tar reader`,
      );
      return;
    }
    const typeflag = String.fromCharCode(block[TYPEFLAG] ?? 0);
    if (!this.checkFields(block, at, format, typeflag)) return;
    const size = this.entrySize(block);
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      this.startMeta(block, at, format, typeflag, size);
      return;
    }
    if (NODE_TAR_ONLY_META.has(typeflag)) {
      this.ambiguous(`the header at byte ${at} has the type flag ${quote(typeflag)}, which node-tar applies to the next entry and other tar readers do not`);
      return;
    }
    this.readEntry(block, at, format, typeflag, size);
  }

  private readZeroBlock(at: number): void {
    if (this.pending) {
      this.ambiguous(`the extended header at byte ${this.pending.at} is followed by no entry`);
      return;
    }
    if (this.zeroBlockAt === undefined) {
      this.zeroBlockAt = at;
      return;
    }
    this.zeroBlockAt = undefined;
    this.state = 'trailer';
  }

  /** The size field, once checkFields has accepted it. */
  private entrySize(block: Buffer): number {
    const size = readOctal(block, SIZE, 12);
    return size.kind === 'number' ? size.value : (readBase256Size(block) ?? 0);
  }

  /** The fields every header must spell alike for every reader. Answers false once it has failed. */
  private checkFields(block: Buffer, at: number, format: Format, typeflag: string): boolean {
    const size = readOctal(block, SIZE, 12);
    if (size.kind !== 'number' && (size.kind !== 'base256' || readBase256Size(block) === undefined)) {
      const how = size.kind === 'base256' ? 'a negative or oversized base-256 number' : 'not in plain octal';
      this.ambiguous(`the size field of the header at byte ${at} is ${how}; tar readers disagree on such sizes`);
      return false;
    }
    const mode = readOctal(block, MODE, 8);
    if (mode.kind !== 'number') {
      this.ambiguous(`the mode field of the header at byte ${at} is not in plain octal`);
      return false;
    }
    for (const [name, offset, width] of ID_AND_TIME_FIELDS) {
      const value = readOctal(block, offset, width);
      const [low, high] = BASE256_RANGES[name];
      const wide = value.kind === 'base256' ? readBase256(block, offset, width) : undefined;
      if (value.kind === 'invalid' || (value.kind === 'base256' && (wide === undefined || wide < low || wide > high))) {
        this.ambiguous(`the ${name} field of the header at byte ${at} is not a number every tar reader reads`);
        return false;
      }
    }
    // Python reads the device numbers of every header, V7 ones included, and fails on anything else.
    for (const [name, offset] of DEVICE_FIELDS) {
      const value = readOctal(block, offset, 8);
      if (value.kind === 'invalid' || value.kind === 'base256') {
        this.ambiguous(`the ${name} field of the header at byte ${at} is not a number every tar reader reads`);
        return false;
      }
    }
    if (!this.checkStrings(block, at, format)) return false;
    if (!REGULAR_TYPES.has(typeflag) && !BODILESS_TYPES.has(typeflag)) return true;
    if ((mode.value & 0o7000) !== 0) {
      this.ambiguous(`the header at byte ${at} sets the setuid, setgid or sticky bit (mode ${mode.value.toString(8)}); a pack never needs them`);
      return false;
    }
    return true;
  }

  /** Name, link name and prefix: NUL-padded, and a prefix only where every reader applies it. */
  private checkStrings(block: Buffer, at: number, format: Format): boolean {
    for (const [name, start, end] of STRING_FIELDS) {
      if (!allZero(block, cStringEnd(block, start, end), end)) {
        this.ambiguous(`the ${name} field of the header at byte ${at} has bytes after its end (a NUL); tar readers disagree on them`);
        return false;
      }
    }
    if (format !== 'ustar') {
      // Python's tarfile applies a prefix in any header; Go, node-tar and GNU tar only in ustar ones.
      if (block[PREFIX] !== 0) {
        this.ambiguous(`the header at byte ${at} is not a ustar header but has a prefix field; tar readers disagree on whether it is part of the name`);
        return false;
      }
      return true;
    }
    // A star header (trailer "tar\0"): Go reads a 131-byte prefix and strict access and change times
    // after it, node-tar a 155-byte prefix, GNU tar guesses from the bytes.
    if (bytesEqual(block, STAR_TRAILER_AT, STAR_TRAILER)) {
      this.ambiguous(`the header at byte ${at} is a star header (trailer "tar\\0"); tar readers disagree on its prefix and times`);
      return false;
    }
    const prefixEnd = cStringEnd(block, PREFIX, PREFIX_END);
    if (prefixEnd === PREFIX) return true;
    // node-tar reads 130 bytes when byte 475 is NUL (and times after it), 155 bytes otherwise: a shorter
    // prefix must be NUL-padded to byte 475 for both readings to agree.
    const long = prefixEnd > SHORT_PREFIX_END;
    if (!allZero(block, prefixEnd, long ? PREFIX_END : SHORT_PREFIX_END + 1)) {
      this.ambiguous(`the prefix field of the header at byte ${at} has bytes after its end (a NUL); tar readers disagree on them`);
      return false;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------------
  // Extended headers

  private startMeta(block: Buffer, at: number, format: Format, typeflag: string, size: number): void {
    const pending = this.pending;
    if (typeflag === 'g') {
      if (pending) {
        this.ambiguous(`a PAX global header at byte ${at} sits between an extended header and its entry`);
        return;
      }
    } else if (pending) {
      const twice = (typeflag === 'x' && pending.pax) || (typeflag === 'L' && pending.longName) || (typeflag === 'K' && pending.longLink);
      const mixed = typeflag === 'x' ? pending.longName || pending.longLink : pending.pax;
      if (twice || mixed) {
        const why = twice ? 'a second extended header of the same kind' : 'both a PAX and a GNU extended header';
        this.ambiguous(`the entry after byte ${pending.at} has ${why}; tar readers disagree on which one wins`);
        return;
      }
    }
    const wantedFormat = typeflag === 'L' || typeflag === 'K' ? 'gnu' : 'ustar';
    if (format !== wantedFormat) {
      this.ambiguous(`the extended header (type ${typeflag}) at byte ${at} is not in a ${wantedFormat === 'gnu' ? 'GNU' : 'ustar'} header`);
      return;
    }
    if (size > MAX_EXTENDED_HEADER_BYTES) {
      this.ambiguous(`the extended header at byte ${at} is ${size} bytes, more than the ${MAX_EXTENDED_HEADER_BYTES} every tar reader accepts`);
      return;
    }
    if (typeflag !== 'g') this.pending ??= { at };
    const meta: MetaBody = { typeflag, start: this.offset, size, chunks: [], received: 0 };
    if (size === 0) {
      this.finishMeta(meta, Buffer.alloc(0));
      return;
    }
    this.meta = meta;
    this.state = 'meta';
  }

  private finishMeta(meta: MetaBody, body: Buffer): void {
    const at = meta.start - BLOCK;
    if (meta.typeflag === 'L' || meta.typeflag === 'K') {
      const name = this.longName(body, at);
      if (name === undefined || !this.pending) return;
      if (meta.typeflag === 'L') this.pending.longName = name;
      else this.pending.longLink = name;
      return;
    }
    const records = this.paxRecords(body, at);
    if (records === undefined) return;
    if (meta.typeflag === 'g') {
      // git archive writes one, with the commit id as a comment: a comment changes nothing in any reader.
      for (const key of records.keys()) {
        if (key !== 'comment') {
          this.ambiguous(
            `the PAX global header at byte ${at} sets ${quote(key)}: node-tar, GNU tar, Python and libarchive disagree on global records (only a comment is allowed)`,
          );
          return;
        }
      }
      return;
    }
    if (this.pending) this.pending.pax = records;
  }

  /** A GNU long name or link body: the name, one or more NULs, nothing else. */
  private longName(body: Buffer, at: number): Buffer | undefined {
    const nul = body.indexOf(0);
    if (nul <= 0 || !allZero(body, nul, body.length)) {
      this.ambiguous(`the GNU long name at byte ${at} is not a non-empty name followed by NUL bytes only`);
      return undefined;
    }
    return body.subarray(0, nul);
  }

  /**
   * The records of a PAX extended header, parsed strictly ("<length> <key>=<value>\n", nothing else)
   * and checked against the keys every reader treats alike. node-tar splits records at newlines and
   * skips one whose length does not match, Go and Python read by length: a newline in a value, a wrong
   * length or trailing bytes would make them read different records.
   */
  private paxRecords(body: Buffer, at: number): Map<string, Buffer> | undefined {
    const records = new Map<string, Buffer>();
    let position = 0;
    while (position < body.length) {
      const space = body.indexOf(0x20, position);
      const lengthText = space === -1 ? '' : body.toString('latin1', position, space);
      const length = /^[0-9]{1,7}$/.test(lengthText) ? Number(lengthText) : 0;
      const end = position + length;
      if (length < 5 || end > body.length || body[end - 1] !== 0x0a) {
        this.ambiguous(`the PAX extended header at byte ${at} has a malformed record at byte ${position} of its body`);
        return undefined;
      }
      const record = body.subarray(space + 1, end - 1);
      const equals = record.indexOf(0x3d);
      if (equals <= 0) {
        this.ambiguous(`the PAX extended header at byte ${at} has a record without a key`);
        return undefined;
      }
      const keyBytes = record.subarray(0, equals);
      const key = keyBytes.toString('utf8');
      const value = record.subarray(equals + 1);
      const problem = paxRecordProblem(key, keyBytes, value, records);
      if (problem !== undefined) {
        this.ambiguous(`the PAX extended header at byte ${at}: ${problem}`);
        return undefined;
      }
      records.set(key, value);
      position = end;
    }
    return records;
  }

  // -------------------------------------------------------------------------------------------------
  // Entries

  private readEntry(block: Buffer, at: number, format: Format, typeflag: string, size: number): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      const wanted: Format = pending.pax ? 'ustar' : 'gnu';
      if (format !== wanted) {
        this.ambiguous(`the entry at byte ${at} follows a ${pending.pax ? 'PAX' : 'GNU'} extended header but is not a ${wanted === 'gnu' ? 'GNU' : 'ustar'} header`);
        return;
      }
    }
    const path = this.entryPath(block, format, pending);
    const paxSize = pending?.pax?.get('size');
    if (paxSize !== undefined && Number(paxSize.toString('latin1')) !== size) {
      this.ambiguous(`the PAX size of ${quote(path)} (${paxSize.toString('latin1')}) differs from its header's size (${size})`, path);
      return;
    }
    if (REGULAR_TYPES.has(typeflag)) {
      const fieldName = cString(block, NAME, NAME + 100);
      // A V7 folder (bsdtar --format v7 writes them): type NUL, its own name ending in "/", no body.
      // Every reader takes it for a folder; with a body, another type or a name from an extended
      // header, they do not agree.
      const v7Folder = typeflag === '\0' && size === 0 && pending === undefined && fieldName.endsWith('/');
      if (!v7Folder && (path.endsWith('/') || fieldName.endsWith('/'))) {
        this.ambiguous(`${quote(path)} is a regular file whose name ends with "/": node-tar reads a directory, other tar readers a file`, path);
        return;
      }
    } else if (BODILESS_TYPES.has(typeflag) && size !== 0) {
      this.ambiguous(`${quote(path)} (type ${typeflag}) has a size of ${size}: tar readers disagree on whether such an entry has a body`, path);
      return;
    }
    this.unmatched.push({ path, size: typeflag === '5' ? 0 : size });
    this.skip = Math.ceil(size / BLOCK) * BLOCK;
    if (BODILESS_TYPES.has(typeflag)) this.skip = 0;
    this.state = this.skip > 0 ? 'body' : 'header';
  }

  /** The entry's path as node-tar decodes it (UTF-8, invalid bytes replaced), from the one source every reader uses. */
  private entryPath(block: Buffer, format: Format, pending: Pending | undefined): string {
    const paxPath = pending?.pax?.get('path');
    if (paxPath !== undefined) return paxPath.toString('utf8');
    if (pending?.longName) return pending.longName.toString('utf8');
    const name = cString(block, NAME, NAME + 100);
    if (format !== 'ustar' || block[PREFIX] === 0) return name;
    return `${cString(block, PREFIX, PREFIX_END)}/${name}`;
  }
}

function unifySeparators(path: string): string {
  return path.includes('\\') ? path.replaceAll('\\', '/') : path;
}

/** Why one PAX record is refused, or `undefined` when every reader treats it alike. */
function paxRecordProblem(key: string, keyBytes: Buffer, value: Buffer, seen: ReadonlyMap<string, Buffer>): string | undefined {
  if (keyBytes.includes(0) || keyBytes.includes(0x0a) || !isValidUtf8(keyBytes)) return `a record key is not plain text`;
  if (seen.has(key)) return `the record ${quote(key)} is given twice`;
  if (value.includes(0x0a)) return `the value of ${quote(key)} contains a newline, which node-tar takes for the end of the record`;
  const metadataOnly = PAX_METADATA_KEYS.has(key) || PAX_KEY_PREFIXES.some((prefix) => key.startsWith(prefix) && key.length > prefix.length);
  if (metadataOnly) return undefined;
  if (!PAX_KEYS.has(key)) return `the record ${quote(key)} is not one every tar reader treats alike`;
  if (value.includes(0) || !isValidUtf8(value)) return `the value of ${quote(key)} is not UTF-8 text without NUL bytes`;
  const text = value.toString('utf8');
  if ((key === 'path' || key === 'linkpath') && text === '') return `the record ${quote(key)} is empty, which some readers take as "no override"`;
  if (PAX_NUMBER_KEYS.has(key) && !PAX_NUMBER.test(text)) return `the value of ${quote(key)} (${quote(text)}) is not a plain decimal number`;
  if ((key === 'uid' || key === 'gid') && Number(text) > MAX_PAX_ID) return `the value of ${quote(key)} (${text}) is larger than 32 bits`;
  if (PAX_TIME_KEYS.has(key) && !PAX_TIME.test(text)) return `the value of ${quote(key)} (${quote(text)}) is not a plain decimal time`;
  return undefined;
}
