import { createGunzip } from 'node:zlib';
import * as tarStream from 'tar-stream';
import { hasTarMagic } from './detect-format';
import { ArchiveError, isArchiveError } from './errors';
import { type EntryCollector } from './entry-collector';
import { normaliseMode, parseEntryPath } from './entry-path';

const FEED_CHUNK = 64 * 1024;
const TAR_BLOCK = 512;

// At run time `type` is null for typeflags tar-stream does not know (sparse 'S', volume 'V', ...).
type THeader = Omit<tarStream.Header, 'type' | 'pax'> & { type: tarStream.Header['type'] | null; pax?: Record<string, string> | null };

/**
 * Reads a tar, or a gzip-compressed tar, as a stream: the gzip layer is metered as it inflates
 * (a gzip bomb never reaches its end) and each entry is judged on its header before its data
 * is read. Links, devices and fifos are refused, never skipped.
 */
export async function readTar(input: Buffer, gzipped: boolean, collector: EntryCollector): Promise<void> {
  const extract = tarStream.extract();
  const feeding = feed(extract, gzipped ? inflate(input, collector) : slices(input));
  try {
    for await (const entry of extract) {
      await readEntry(entry, collector);
    }
  } catch (error) {
    extract.destroy(null);
    throw isArchiveError(error) ? error : new ArchiveError('corrupt', `not a readable tar archive (${(error as Error).message})`);
  } finally {
    await feeding;
  }
}

type TSource = tarStream.Extract extends AsyncIterable<infer S> ? S : never;

async function readEntry(entry: TSource, collector: EntryCollector): Promise<void> {
  const header = entry.header as unknown as THeader;
  const name = header.name;
  collector.countEntry(name);
  switch (header.type) {
    case 'link':
      throw new ArchiveError('link', 'entry is a hard link', name);
    case 'symlink':
      throw new ArchiveError('link', 'entry is a symbolic link', name);
    case 'character-device':
    case 'block-device':
    case 'fifo':
      throw new ArchiveError('special_file', `entry is a ${header.type}`, name);
    case 'directory': {
      const { path } = parseEntryPath(name, collector.limits);
      // tar-stream does not skip directory data: any would be misread as the next header.
      if (header.size !== 0) throw new ArchiveError('corrupt', 'directory entry has content', name);
      collector.addDirectory(path, name);
      entry.resume();
      return;
    }
    case 'file':
    case 'contiguous-file':
      break;
    default:
      throw new ArchiveError('special_file', 'entry type is not a regular file or directory', name);
  }

  const { path, trailingSlash } = parseEntryPath(name, collector.limits);
  if (trailingSlash) throw new ArchiveError('invalid_name', 'regular file named like a directory', name);
  // GNU sparse files store a map, not the content: taken literally the content would be wrong.
  if (Object.keys(header.pax ?? {}).some((key) => key.startsWith('GNU.sparse.'))) {
    throw new ArchiveError('unsupported_format', 'sparse files are not supported', name);
  }
  const sink = collector.declareFile(path, header.size, name);
  for await (const chunk of entry as AsyncIterable<Buffer>) sink.add(chunk);
  sink.finish(normaliseMode(header.mode));
}

/** Writes the source into the extractor with backpressure; a failure destroys the extractor with its cause. */
async function feed(extract: tarStream.Extract, source: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<void> {
  try {
    for await (const chunk of source) {
      if (extract.destroyed) return;
      if (!extract.write(chunk)) await drainedOrClosed(extract);
    }
    if (!extract.destroyed) extract.end(null);
  } catch (error) {
    extract.destroy(isArchiveError(error) ? error : new ArchiveError('corrupt', `gzip data cannot be decompressed (${(error as Error).message})`));
  }
}

function drainedOrClosed(extract: tarStream.Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      extract.off('drain', done);
      extract.off('close', done);
      resolve();
    };
    extract.on('drain', done);
    extract.on('close', done);
  });
}

function* slices(input: Buffer): Iterable<Buffer> {
  for (let offset = 0; offset < input.length; offset += FEED_CHUNK) yield input.subarray(offset, offset + FEED_CHUNK);
}

async function* inflate(input: Buffer, collector: EntryCollector): AsyncIterable<Buffer> {
  const gunzip = createGunzip();
  gunzip.end(input);
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of gunzip as AsyncIterable<Buffer>) {
    collector.countStreamBytes(chunk.length);
    if (head) {
      head = Buffer.concat([head, chunk]);
      if (head.length < TAR_BLOCK) continue;
      if (!hasTarMagic(head)) throw new ArchiveError('unsupported_format', 'gzip data is not a tar archive');
      const ready = head;
      head = undefined;
      yield ready;
      continue;
    }
    yield chunk;
  }
  if (head) throw new ArchiveError('unsupported_format', 'gzip data is not a tar archive');
}
