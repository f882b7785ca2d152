import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

// The reference solution's results depend only on the example version and the collection, so
// they are computed once and reused for every submission. Key: content hash of the example
// directory + collection index (+ a format version, bumped when the stored shape changes).

export const REFERENCE_CACHE_FORMAT = 1;

export const ZReferenceRun = z.object({
  status: z.enum(['completed', 'error', 'timeout', 'memory_exceeded', 'output_limit', 'infra_error']),
  message: z.string(),
  stdout: z.string(),
  stderr: z.string(),
  exitCode: z.number().nullable(),
  /** Python: serialised values by expression (see compare/py-value.ts). */
  values: z.record(z.string(), z.unknown()).default({}),
});
export type TReferenceRun = z.infer<typeof ZReferenceRun>;

/** Injected store; implementations may be synchronous or asynchronous. */
export interface TReferenceCache {
  get(key: string): Promise<TReferenceRun | undefined> | TReferenceRun | undefined;
  set(key: string, value: TReferenceRun): Promise<void> | void;
}

export function referenceCacheKey(contentHash: string, collectionIndex: number): string {
  return `ref-v${REFERENCE_CACHE_FORMAT}:${contentHash}:${collectionIndex}`;
}

export class InMemoryReferenceCache implements TReferenceCache {
  private readonly entries = new Map<string, TReferenceRun>();

  constructor(private readonly maxEntries = 1000) {}

  get(key: string): TReferenceRun | undefined {
    const value = this.entries.get(key);
    if (value) {
      // Refresh recency: Map iteration order is insertion order.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: TReferenceRun): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

/** One JSON file per key under `dir`; writes are atomic (temp file + rename), unreadable files are misses. */
export class DirectoryReferenceCache implements TReferenceCache {
  constructor(private readonly dir: string) {}

  private fileFor(key: string): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex')}.json`);
  }

  async get(key: string): Promise<TReferenceRun | undefined> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.fileFor(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const stored = JSON.parse(text) as { key?: unknown; value?: unknown };
      if (stored.key !== key) return undefined;
      const parsed = ZReferenceRun.safeParse(stored.value);
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: TReferenceRun): Promise<void> {
    await fs.promises.mkdir(this.dir, { recursive: true });
    const target = this.fileFor(key);
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await fs.promises.writeFile(temp, JSON.stringify({ key, value }));
    await fs.promises.rename(temp, target);
  }
}
