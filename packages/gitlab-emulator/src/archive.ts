import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

// Repository archives shaped like `git archive` output, which is what GitLab (Gitaly) serves: a
// pax global header carrying the commit id, then directories and files under one top directory.

export interface TArchiveEntry {
  /** Path inside the archive, without the prefix; directories end in '/'. */
  path: string;
  data?: Buffer;
  /** Git mode: '100644', '100755' or '040000'. */
  mode: string;
}

export const ARCHIVE_FORMATS = ['tar.gz', 'tgz', 'gz', 'tar', 'zip'] as const;
export type TArchiveFormat = (typeof ARCHIVE_FORMATS)[number];

/** Formats GitLab accepts (Gitlab::PathRegex.archive_formats_regex) that need bzip2, which Node lacks. */
export const BZIP2_FORMATS = ['tar.bz2', 'tbz', 'tbz2', 'tb2', 'bz2'] as const;

const BLOCK = 512;

// git archive applies tar.umask (default 0002): 0664 files, 0775 executables and directories.
function tarMode(mode: string): number {
  if (mode === '040000') return 0o775;
  return mode === '100755' ? 0o775 : 0o664;
}

function octal(buf: Buffer, value: number, offset: number, length: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
}

// ustar splits a long name at a '/' into prefix (155 bytes) and name (100 bytes); null when it cannot.
function splitName(name: string): { base: string; prefix: string } | null {
  if (Buffer.byteLength(name) <= 100) return { base: name, prefix: '' };
  for (let cut = name.indexOf('/'); cut > 0; cut = name.indexOf('/', cut + 1)) {
    const prefix = name.slice(0, cut);
    const base = name.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100 && base) return { base, prefix };
  }
  return null;
}

function header(name: string, opts: { size: number; mode: number; type: string; mtime: number }): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { base, prefix } = splitName(name) ?? { base: name.slice(0, 100), prefix: '' };
  h.write(base, 0, 100, 'utf8');
  octal(h, opts.mode, 100, 8);
  octal(h, 0, 108, 8);
  octal(h, 0, 116, 8);
  octal(h, opts.size, 124, 12);
  octal(h, opts.mtime, 136, 12);
  h.write(opts.type, 156, 1, 'latin1');
  h.write('ustar\x0000', 257, 8, 'latin1');
  h.write('root', 265, 32, 'latin1');
  h.write('root', 297, 32, 'latin1');
  if (prefix) h.write(prefix, 345, 155, 'utf8');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  octal(h, sum, 148, 7);
  h[155] = 0x20;
  return h;
}

function padded(data: Buffer): Buffer[] {
  const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
  return pad ? [data, Buffer.alloc(pad)] : [data];
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
  return `${len}${body}`;
}

/** A tar as `git archive --format=tar --prefix=<prefix>/ <commit>` writes it. */
export function writeGitTar(prefix: string, entries: TArchiveEntry[], commitId: string, mtime: number): Buffer {
  const parts: Buffer[] = [];
  const pax = Buffer.from(paxRecord('comment', commitId));
  parts.push(header('pax_global_header', { size: pax.length, mode: 0o666, type: 'g', mtime }), ...padded(pax));
  for (const e of [{ path: '', mode: '040000' } as TArchiveEntry, ...entries]) {
    const name = `${prefix}/${e.path}`;
    const dir = e.mode === '040000';
    const data = dir ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0));
    if (!splitName(name)) {
      // Like git archive: a pax extended header carries names ustar cannot hold.
      const ext = Buffer.from(paxRecord('path', name));
      parts.push(header('pax_header', { size: ext.length, mode: 0o666, type: 'x', mtime }), ...padded(ext));
    }
    parts.push(header(name, { size: data.length, mode: tarMode(e.mode), type: dir ? '5' : '0', mtime }));
    if (data.length > 0) parts.push(...padded(data));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function dosTime(unixSeconds: number): { time: number; date: number } {
  const d = new Date(unixSeconds * 1000);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

/** A zip as `git archive --format=zip` writes it: deflated files, the commit id as archive comment. */
export function writeGitZip(prefix: string, entries: TArchiveEntry[], commitId: string, mtime: number): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const { time, date } = dosTime(mtime);
  for (const e of [{ path: '', mode: '040000' } as TArchiveEntry, ...entries]) {
    const name = Buffer.from(`${prefix}/${e.path}`, 'utf8');
    const dir = e.mode === '040000';
    const raw = dir ? Buffer.alloc(0) : (e.data ?? Buffer.alloc(0));
    const deflated = raw.length > 0 ? deflateRawSync(raw) : raw;
    const stored = deflated.length >= raw.length;
    const body = stored ? raw : deflated;
    const method = stored ? 0 : 8;
    const crc = crc32(raw);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(dir ? 10 : 20, 4);
    lh.writeUInt16LE(0x0800, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt16LE(time, 10);
    lh.writeUInt16LE(date, 12);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(raw.length, 22);
    lh.writeUInt16LE(name.length, 26);
    lh.writeUInt16LE(0, 28);
    local.push(lh, name, body);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    // Made by Unix (3), so unzip restores the file modes in the external attributes.
    ch.writeUInt16LE((3 << 8) | 20, 4);
    ch.writeUInt16LE(dir ? 10 : 20, 6);
    ch.writeUInt16LE(0x0800, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt16LE(time, 12);
    ch.writeUInt16LE(date, 14);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(raw.length, 24);
    ch.writeUInt16LE(name.length, 28);
    const unixMode = dir ? 0o040775 : e.mode === '100755' ? 0o100775 : 0o100664;
    ch.writeUInt32LE(((unixMode << 16) | (dir ? 0x10 : 0)) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, name);
    offset += lh.length + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const comment = Buffer.from(commitId, 'latin1');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const count = central.length / 2;
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...local, cd, end, comment]);
}

/** The archive in `format`, with its file name extension and content type as Workhorse sends them. */
export function buildArchive(
  format: TArchiveFormat,
  prefix: string,
  entries: TArchiveEntry[],
  commitId: string,
  mtime: number,
): { data: Buffer; contentType: string } {
  if (format === 'zip') return { data: writeGitZip(prefix, entries, commitId, mtime), contentType: 'application/zip' };
  const tar = writeGitTar(prefix, entries, commitId, mtime);
  return { data: format === 'tar' ? tar : gzipSync(tar), contentType: 'application/octet-stream' };
}
