import { ArchiveError } from './errors';
import { type TArchiveLimits } from './limits';

/** A regular file that passed every check. */
export interface TArchiveFile {
  /** Normalised posix path relative to the archive root, without `.`/`..` segments. */
  path: string;
  data: Buffer;
  /** 0o644, or 0o755 when the archive marked the file executable. */
  mode: number;
}

export interface TArchiveContents {
  files: TArchiveFile[];
  /** Every directory, explicit or implied by a file path, parents before children. */
  directories: string[];
}

// Headers, pax records and block padding a tar stream may carry on top of file data.
const TAR_OVERHEAD_PER_ENTRY = 64 * 1024;

/**
 * Accumulates entries while a reader walks an archive and enforces every limit as early as the
 * format allows: counts and declared sizes when an entry is announced, then the bytes that really
 * come out of the decompressor, chunk by chunk.
 */
export class EntryCollector {
  private readonly files: TArchiveFile[] = [];
  private readonly filePaths = new Set<string>();
  private readonly directoryPaths = new Set<string>();
  private entries = 0;
  private declaredTotal = 0;
  private inflatedTotal = 0;
  private streamBytes = 0;

  constructor(
    readonly limits: TArchiveLimits,
    private readonly archiveBytes: number,
  ) {}

  countEntry(name: string): void {
    this.entries += 1;
    if (this.entries > this.limits.maxFiles) {
      throw new ArchiveError('too_many_files', `archive has more than ${this.limits.maxFiles} entries`, name);
    }
  }

  /** Whole archive up front, when the format states its entry count (zip). */
  checkEntryCount(count: number): void {
    if (count > this.limits.maxFiles) {
      throw new ArchiveError('too_many_files', `archive declares ${count} entries, more than ${this.limits.maxFiles}`);
    }
  }

  addDirectory(path: string, name: string): void {
    if (path === '') return;
    if (this.filePaths.has(path)) throw new ArchiveError('duplicate_entry', 'entry is both a file and a directory', name);
    this.addParents(path, name);
    this.directoryPaths.add(path);
  }

  /** Registers a file by its declared size and returns the sink its inflated bytes must go through. */
  declareFile(path: string, declaredBytes: number, name: string): FileSink {
    if (this.filePaths.has(path)) throw new ArchiveError('duplicate_entry', 'entry occurs more than once', name);
    if (this.directoryPaths.has(path)) throw new ArchiveError('duplicate_entry', 'entry is both a file and a directory', name);
    this.addParents(path, name);
    if (declaredBytes > this.limits.maxFileBytes) {
      throw new ArchiveError('file_too_large', `entry declares ${declaredBytes} bytes, more than ${this.limits.maxFileBytes}`, name);
    }
    this.declaredTotal += declaredBytes;
    if (this.declaredTotal > this.limits.maxTotalBytes) {
      throw new ArchiveError('total_too_large', `entries declare more than ${this.limits.maxTotalBytes} bytes in total`, name);
    }
    this.checkRatio(this.declaredTotal, name);
    this.filePaths.add(path);
    return new FileSink(this, path, name);
  }

  /** Decompressed bytes of a compressed container (the tar inside a gzip), padding included. */
  countStreamBytes(bytes: number): void {
    this.streamBytes += bytes;
    const cap = this.limits.maxTotalBytes + (this.limits.maxFiles + 1) * TAR_OVERHEAD_PER_ENTRY;
    if (this.streamBytes > cap) {
      throw new ArchiveError('total_too_large', `decompressed stream exceeds ${cap} bytes`);
    }
    this.checkRatio(Math.max(this.streamBytes, this.inflatedTotal));
  }

  countFileBytes(sink: FileSink, bytes: number): void {
    if (sink.bytes > this.limits.maxFileBytes) {
      throw new ArchiveError('file_too_large', `entry inflates to more than ${this.limits.maxFileBytes} bytes`, sink.name);
    }
    this.inflatedTotal += bytes;
    if (this.inflatedTotal > this.limits.maxTotalBytes) {
      throw new ArchiveError('total_too_large', `entries inflate to more than ${this.limits.maxTotalBytes} bytes in total`, sink.name);
    }
    this.checkRatio(Math.max(this.streamBytes, this.inflatedTotal), sink.name);
  }

  addFile(file: TArchiveFile): void {
    this.files.push(file);
  }

  contents(): TArchiveContents {
    const directories = [...this.directoryPaths].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
    return { files: this.files, directories };
  }

  private checkRatio(inflated: number, name?: string): void {
    if (inflated <= this.limits.ratioGraceBytes) return;
    const ratio = inflated / Math.max(this.archiveBytes, 1);
    if (ratio > this.limits.maxCompressionRatio) {
      throw new ArchiveError(
        'compression_ratio',
        `content inflates more than ${this.limits.maxCompressionRatio} times the archive size`,
        name,
      );
    }
  }

  private addParents(path: string, name: string): void {
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const parent = path.slice(0, slash);
      if (this.filePaths.has(parent)) throw new ArchiveError('duplicate_entry', 'entry is both a file and a directory', name);
      this.directoryPaths.add(parent);
    }
  }
}

/** Collects one file's inflated bytes; every chunk is counted before it is kept. */
export class FileSink {
  bytes = 0;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly collector: EntryCollector,
    readonly path: string,
    readonly name: string,
  ) {}

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.collector.countFileBytes(this, chunk.length);
    this.chunks.push(chunk);
  }

  finish(mode: number): void {
    this.collector.addFile({ path: this.path, data: Buffer.concat(this.chunks, this.bytes), mode });
    this.chunks.length = 0;
  }
}

function depth(path: string): number {
  let count = 0;
  for (const char of path) if (char === '/') count += 1;
  return count;
}
