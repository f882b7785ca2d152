import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryReferenceCache, loadExample, privateDirIn, type TExample, type TReferenceCache } from '@computor/grader';
import { ObjectNotFoundError, type Storage } from '@computor/storage';
import type { GraderDeps } from '../deps';
import { exampleContentHash } from '../examples/content-hash';
import { NON_RETRYABLE, nonRetryable } from '../failures';

export interface TExampleRef {
  exampleVersionId: string;
  contentHash: string;
  objectPrefix: string;
}

export interface TArtifactRef {
  artifactId: string;
  contentHash: string;
  objectPrefix: string;
  /** The files' paths under the prefix when recorded: fetched by name, without listing the prefix. */
  filePaths?: string[];
}

export function graderDefaults(deps: { grader?: GraderDeps }): GraderDeps {
  // Never a predictable shared path: another local user could plant examples or cache entries there.
  return deps.grader ?? { config: {}, limits: {}, workDir: privateDirIn(os.tmpdir()) };
}

function isSafeRelativePath(rel: string): boolean {
  if (!rel || rel.startsWith('/') || rel.includes('\\') || rel.includes('\0')) return false;
  return rel.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/**
 * Writes files into a fresh private directory and renames it into place, so a directory at
 * `target` is always complete. A concurrent writer that got there first wins; ours is dropped.
 */
async function materialize(target: string, files: ReadonlyArray<{ path: string; data: Buffer }>): Promise<void> {
  const parent = path.dirname(target);
  await fs.promises.mkdir(parent, { recursive: true, mode: 0o700 });
  const partial = `${target}.partial-${randomUUID()}`;
  await fs.promises.mkdir(partial, { mode: 0o700 });
  try {
    for (const file of files) {
      if (!isSafeRelativePath(file.path)) throw nonRetryable(NON_RETRYABLE.invalidInput, `unsafe stored path ${JSON.stringify(file.path)}`);
      const dest = path.join(partial, file.path);
      await fs.promises.mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
      // O_EXCL|O_NOFOLLOW: the fresh directory holds nothing we did not write.
      const handle = await fs.promises.open(dest, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW, 0o600);
      try {
        await handle.writeFile(file.data);
      } finally {
        await handle.close();
      }
    }
    try {
      await fs.promises.rename(partial, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
  } finally {
    await fs.promises.rm(partial, { recursive: true, force: true });
  }
}

async function exists(dir: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The worker-local copies grading needs: example versions (kept, keyed by content hash, loaded
 * once per process), submissions (private, removed after their result is stored) and the
 * reference values cache. Concurrent requests for the same object share one download.
 */
export class GradingFiles {
  readonly referenceCache: TReferenceCache;
  private readonly examples = new Map<string, Promise<TExample>>();
  private readonly submissions = new Map<string, Promise<string>>();

  constructor(
    private readonly storage: Storage,
    readonly workDir: string,
  ) {
    this.referenceCache = new DirectoryReferenceCache(path.join(workDir, 'reference-cache'));
  }

  private async download(prefix: string, expectedHash: string, what: string, paths?: readonly string[]): Promise<Array<{ path: string; data: Buffer }>> {
    const files = await this.storage.getFiles(prefix, paths).catch((error: unknown) => {
      if (error instanceof ObjectNotFoundError) throw nonRetryable(NON_RETRYABLE.notFound, `${what}: no files under ${prefix} (${error.key.slice(prefix.length)} is missing)`);
      throw error;
    });
    if (files.length === 0) throw nonRetryable(NON_RETRYABLE.notFound, `${what}: no files under ${prefix}`);
    const actual = exampleContentHash(files);
    // A mismatch is corruption or a concurrent overwrite: grading it would give an untrustworthy result.
    if (actual !== expectedHash) throw nonRetryable(NON_RETRYABLE.precondition, `${what}: stored files under ${prefix} do not match the recorded content hash`);
    return files;
  }

  /** The example version, downloaded once into `<workDir>/examples/<contentHash>` and loaded once per process. */
  example(ref: TExampleRef): Promise<TExample> {
    const cached = this.examples.get(ref.contentHash);
    if (cached) return cached;
    const loading = (async () => {
      const dir = path.join(this.workDir, 'examples', ref.contentHash);
      if (!(await exists(dir))) await materialize(dir, await this.download(ref.objectPrefix, ref.contentHash, `example version ${ref.exampleVersionId}`));
      return loadExample(dir);
    })();
    this.examples.set(ref.contentHash, loading);
    loading.catch(() => this.examples.delete(ref.contentHash));
    return loading;
  }

  /** A private copy of the artifact's files (checked against its content hash). */
  submission(ref: TArtifactRef): Promise<string> {
    const cached = this.submissions.get(ref.artifactId);
    if (cached) return cached;
    const loading = (async () => {
      const dir = path.join(this.workDir, 'submissions', ref.artifactId);
      if (!(await exists(dir))) await materialize(dir, await this.download(ref.objectPrefix, ref.contentHash, `submission ${ref.artifactId}`, ref.filePaths));
      return dir;
    })();
    this.submissions.set(ref.artifactId, loading);
    loading.catch(() => this.submissions.delete(ref.artifactId));
    return loading;
  }

  async releaseSubmission(artifactId: string): Promise<void> {
    this.submissions.delete(artifactId);
    await fs.promises.rm(path.join(this.workDir, 'submissions', artifactId), { recursive: true, force: true });
  }

  /** A hand-in of the example itself: `reference` (the root) or `localTests/<name>`. */
  async handIn(example: TExample, handIn: string): Promise<string> {
    if (handIn === 'reference') return example.dir;
    const name = handIn.startsWith('localTests/') ? handIn.slice('localTests/'.length) : '';
    if (!name || !isSafeRelativePath(name) || name.includes('/')) throw nonRetryable(NON_RETRYABLE.invalidInput, `unknown hand-in ${JSON.stringify(handIn)}`);
    const dir = path.join(example.dir, 'localTests', name);
    if (!(await exists(dir))) throw nonRetryable(NON_RETRYABLE.notFound, `hand-in ${handIn} not found in the example`);
    return dir;
  }

  /** The example's `localTests/<name>` directories. */
  async listHandIns(example: TExample): Promise<string[]> {
    let entries: fs.Dirent[] = [];
    try {
      entries = await fs.promises.readdir(path.join(example.dir, 'localTests'), { withFileTypes: true });
    } catch {
      entries = [];
    }
    return entries.filter((e) => e.isDirectory()).map((e) => `localTests/${e.name}`).sort();
  }
}
