import { type Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as yauzl from 'yauzl';
import { ArchiveError, isArchiveError } from './errors';
import { type EntryCollector, type FileSink } from './entry-collector';
import { normaliseMode, parseEntryPath } from './entry-path';

// yauzl 3 API that @types/yauzl (written for 2.x) does not describe.
interface TRawEntry extends yauzl.Entry {
  fileNameRaw: Buffer;
}
interface TLocalFileHeader {
  fileDataStart: number;
  generalPurposeBitFlag: number;
  fileName: Buffer;
}
interface TZipFile extends yauzl.ZipFile {
  readLocalFileHeader(entry: yauzl.Entry, options: { minimal: boolean }, callback: (error: Error | null, header: TLocalFileHeader) => void): void;
}
type TGetFileNameLowLevel = (generalPurposeBitFlag: number, fileName: Buffer, extraFields: TRawEntry['extraFields'], strictFileNames: boolean) => string;
const getFileNameLowLevel = (yauzl as unknown as { getFileNameLowLevel: TGetFileNameLowLevel }).getFileNameLowLevel;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const DOS_DIRECTORY = 0x10;
const FLAG_ENCRYPTED = 0x1;
const FLAG_DATA_DESCRIPTOR = 0x8;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
const INFO_ZIP_UNICODE_PATH = 0x7075;

interface TFileEntry {
  entry: TRawEntry;
  name: string;
  sink: FileSink;
  mode: number;
}

/**
 * Reads a zip in three passes so that nothing is inflated before the whole central directory has
 * been judged: names, types and declared sizes; then the layout of local records (overlaps, gaps);
 * then the data, counted and checksummed as it inflates.
 */
export async function readZip(input: Buffer, collector: EntryCollector): Promise<void> {
  const zip = await openZip(input);
  try {
    collector.checkEntryCount(zip.entryCount);
    // yauzl starts reading the central directory at its offset; it keeps no other copy of it.
    const centralDirectoryOffset = (zip as unknown as { readEntryCursor: unknown }).readEntryCursor;
    if (typeof centralDirectoryOffset !== 'number') throw new Error('yauzl no longer exposes the central directory offset as readEntryCursor');
    const entries = await readCentralDirectory(zip);
    const files: TFileEntry[] = [];
    for (const entry of entries) {
      const file = inspectEntry(entry, collector);
      if (file) files.push(file);
    }
    await checkLayout(zip, entries, centralDirectoryOffset);
    for (const file of files) await readFileData(zip, file);
  } finally {
    zip.close();
  }
}

function openZip(input: Buffer): Promise<TZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings off: yauzl's own name checks throw untyped errors; ours map each case to a code.
    yauzl.fromBuffer(input, { lazyEntries: true, decodeStrings: false, validateEntrySizes: false, strictFileNames: true }, (error, zip) => {
      if (error) reject(fromYauzl(error));
      else resolve(zip as TZipFile);
    });
  });
}

function readCentralDirectory(zip: TZipFile): Promise<TRawEntry[]> {
  return new Promise((resolve, reject) => {
    const entries: TRawEntry[] = [];
    zip.on('entry', (entry: TRawEntry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', (error: Error) => reject(fromYauzl(error)));
    zip.readEntry();
  });
}

function inspectEntry(entry: TRawEntry, collector: EntryCollector): TFileEntry | undefined {
  const name = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  collector.countEntry(name);
  if ((entry.generalPurposeBitFlag & FLAG_ENCRYPTED) !== 0) throw new ArchiveError('encrypted', 'entry is encrypted', name);
  const { path, trailingSlash } = parseEntryPath(name, collector.limits);
  // Extractors that ignore the Info-ZIP Unicode Path field use the header name: it must be safe too.
  if (entry.extraFields.some((field) => field.id === INFO_ZIP_UNICODE_PATH)) {
    parseEntryPath(getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, [], true), collector.limits);
  }

  // The upper 16 bits hold a unix st_mode when the creator set one; check them whatever the
  // creator's host byte says, since extractors disagree on when to trust it.
  const unixMode = entry.externalFileAttributes >>> 16;
  const type = unixMode & S_IFMT;
  if (type === S_IFLNK) throw new ArchiveError('link', 'entry is a symbolic link', name);
  if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    throw new ArchiveError('special_file', 'entry is a device, fifo or socket', name);
  }
  const isDirectory = trailingSlash || type === S_IFDIR || (type === 0 && (entry.externalFileAttributes & DOS_DIRECTORY) !== 0);
  if (isDirectory) {
    if (type === S_IFREG) throw new ArchiveError('invalid_name', 'regular file named like a directory', name);
    if (entry.uncompressedSize !== 0) throw new ArchiveError('corrupt', 'directory entry has content', name);
    collector.addDirectory(path, name);
    return undefined;
  }
  if (entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATED) {
    throw new ArchiveError('unsupported_format', `compression method ${entry.compressionMethod} is not supported`, name);
  }
  const sink = collector.declareFile(path, entry.uncompressedSize, name);
  return { entry, name, sink, mode: normaliseMode(type === 0 ? 0o644 : unixMode) };
}

/**
 * The local records (header, data, data descriptor) must tile the file from offset 0 up to the
 * central directory, each owned by exactly one central directory record. Records sharing or
 * overlapping data are how non-recursive zip bombs multiply a small payload; bytes no record
 * owns can hide a local entry that streaming extractors (which never read the central
 * directory) would unpack. For the same reason local header names must match.
 */
async function checkLayout(zip: TZipFile, entries: TRawEntry[], centralDirectoryOffset: number): Promise<void> {
  const spans: Array<{ start: number; end: number; entry: TRawEntry; local: TLocalFileHeader }> = [];
  for (const entry of entries) {
    const local = await readLocalFileHeader(zip, entry);
    spans.push({ start: entry.relativeOffsetOfLocalHeader, end: local.fileDataStart + entry.compressedSize, entry, local });
  }
  spans.sort((a, b) => a.start - b.start);
  let cursor = 0;
  let previous: (typeof spans)[number] | undefined;
  for (const span of [...spans, undefined]) {
    const start = span ? span.start : centralDirectoryOffset;
    if (start < cursor) {
      throw new ArchiveError('overlapping_entries', 'entry data overlaps another entry or the central directory', previous && displayName(previous.entry));
    }
    if (!isDataDescriptorGap(previous?.local, start - cursor)) {
      throw new ArchiveError('corrupt', `${start - cursor} bytes at offset ${cursor} belong to no entry`, previous && displayName(previous.entry));
    }
    if (span) cursor = span.end;
    previous = span;
  }
  for (const { entry, local } of spans) {
    if (!local.fileName.equals(entry.fileNameRaw)) {
      throw new ArchiveError('corrupt', 'local header name differs from the central directory', displayName(entry));
    }
  }
}

// A data descriptor (flag bit 3) follows the data: crc and two sizes of 4 or 8 bytes, optionally
// preceded by its 4-byte signature.
function isDataDescriptorGap(local: TLocalFileHeader | undefined, gap: number): boolean {
  if (!local || (local.generalPurposeBitFlag & FLAG_DATA_DESCRIPTOR) === 0) return gap === 0;
  return gap === 12 || gap === 16 || gap === 20 || gap === 24;
}

function readLocalFileHeader(zip: TZipFile, entry: TRawEntry): Promise<TLocalFileHeader> {
  return new Promise((resolve, reject) => {
    zip.readLocalFileHeader(entry, { minimal: false }, (error, header) => {
      if (error) reject(new ArchiveError('corrupt', `unreadable local header (${error.message})`, displayName(entry)));
      else resolve(header);
    });
  });
}

async function readFileData(zip: TZipFile, file: TFileEntry): Promise<void> {
  const { entry, name, sink } = file;
  const declared = entry.uncompressedSize;
  const stream = await openReadStream(zip, entry, name);
  let checksum = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      sink.add(chunk);
      if (sink.bytes > declared) throw new ArchiveError('corrupt', `entry inflates beyond its declared ${declared} bytes`, name);
      checksum = crc32(chunk, checksum);
    }
  } catch (error) {
    if (isArchiveError(error)) throw error;
    throw new ArchiveError('corrupt', `entry data cannot be decompressed (${(error as Error).message})`, name);
  }
  if (sink.bytes !== declared) throw new ArchiveError('corrupt', `entry has ${sink.bytes} bytes, declares ${declared}`, name);
  if (checksum >>> 0 !== entry.crc32 >>> 0) throw new ArchiveError('corrupt', 'entry CRC-32 mismatch', name);
  sink.finish(file.mode);
}

function openReadStream(zip: TZipFile, entry: TRawEntry, name: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error) reject(new ArchiveError('corrupt', `entry data cannot be read (${error.message})`, name));
      else resolve(stream);
    });
  });
}

function displayName(entry: TRawEntry): string {
  return getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
}

function fromYauzl(error: Error): ArchiveError {
  if (/encrypt/i.test(error.message)) return new ArchiveError('encrypted', error.message);
  return new ArchiveError('corrupt', `not a readable zip archive (${error.message})`);
}
