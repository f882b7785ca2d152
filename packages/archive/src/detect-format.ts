import { ArchiveError } from './errors';

export type TArchiveFormat = 'zip' | 'tar' | 'tar.gz';

const ZIP_LOCAL_HEADER = Buffer.from('PK\x03\x04', 'latin1');
// An archive without entries is only an end-of-central-directory record.
const ZIP_EMPTY = Buffer.from('PK\x05\x06', 'latin1');
// Deflate is the only compression method gzip defines.
const GZIP = Buffer.from([0x1f, 0x8b, 0x08]);
const USTAR_POSIX = Buffer.from('ustar\x00', 'latin1');
const USTAR_GNU = Buffer.from('ustar ', 'latin1');
const TAR_MAGIC_OFFSET = 257;

/** True when the first tar block carries the ustar (POSIX or GNU) magic. Pre-POSIX v7 tars have none. */
export function hasTarMagic(block: Buffer): boolean {
  if (block.length < 512) return false;
  const magic = block.subarray(TAR_MAGIC_OFFSET, TAR_MAGIC_OFFSET + 6);
  return magic.equals(USTAR_POSIX) || magic.equals(USTAR_GNU);
}

/** Format by magic bytes, never by file name. */
export function detectArchiveFormat(input: Buffer): TArchiveFormat {
  const head = input.subarray(0, 4);
  const isZip = head.equals(ZIP_LOCAL_HEADER) || head.equals(ZIP_EMPTY);
  const isTar = hasTarMagic(input);
  // A zip/tar polyglot means different things to different tools: refuse to pick one.
  if (isZip && isTar) throw new ArchiveError('unsupported_format', 'archive is both a zip and a tar');
  if (isZip) return 'zip';
  if (isTar) return 'tar';
  if (input.subarray(0, 3).equals(GZIP)) return 'tar.gz';
  throw new ArchiveError('unsupported_format', 'not a zip, tar or gzip-compressed tar archive');
}
