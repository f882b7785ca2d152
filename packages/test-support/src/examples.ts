import fs from 'node:fs';
import path from 'node:path';
import { exampleContentHash, exampleObjectPrefix } from '@computor/activities';
import type { Db } from '@computor/db';
import type { Storage } from '@computor/storage';
import { uniq } from './services';

function readTree(root: string, rel = ''): Array<{ path: string; data: Buffer }> {
  const out: Array<{ path: string; data: Buffer }> = [];
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...readTree(root, child));
    else if (entry.isFile()) out.push({ path: child, data: fs.readFileSync(path.join(root, child)) });
  }
  return out;
}

export interface ExampleFixture {
  exampleId: string;
  exampleVersionId: string;
  identifier: string;
  versionTag: string;
  objectPrefix: string;
  contentHash: string;
}

/**
 * Stores an example directory the way the example library does (files under
 * `examples/<identifier>/<versionTag>/`, content hash over sorted (path, content)) and records
 * the Example and ExampleVersion rows. Each call makes a fresh version tag.
 */
export async function uploadExampleFixture(db: Db, storage: Storage, dir: string, options: { identifier?: string; versionTag?: string; courseId?: string } = {}): Promise<ExampleFixture> {
  const files = readTree(dir);
  const identifier = options.identifier ?? path.basename(dir);
  const versionTag = options.versionTag ?? uniq('v');
  const objectPrefix = exampleObjectPrefix(identifier, versionTag);
  const contentHash = exampleContentHash(files);
  await storage.putFiles(objectPrefix, files);
  const example = await db.example.upsert({ where: { identifier }, create: { identifier, title: identifier, courseId: options.courseId }, update: {} });
  const version = await db.exampleVersion.create({
    data: {
      exampleId: example.id,
      versionTag,
      contentHash,
      objectPrefix,
      fileCount: files.length,
      totalBytes: files.reduce((sum, f) => sum + f.data.length, 0),
      meta: {},
    },
  });
  return { exampleId: example.id, exampleVersionId: version.id, identifier, versionTag, objectPrefix, contentHash };
}

/**
 * A course content bound to an example version, released to students (a deployment with a
 * student-template commit) unless `released: false`: unreleased contents accept no hand-ins.
 */
export async function createContentFixture(db: Db, options: { courseId: string; exampleVersionId: string; maxTestRuns?: number | null; path?: string; released?: boolean }) {
  const released = options.released ?? true;
  return db.courseContent.create({
    data: {
      courseId: options.courseId,
      path: options.path ?? uniq('a').replace(/-/g, '_'),
      title: 'Assignment',
      exampleVersionId: options.exampleVersionId,
      maxTestRuns: options.maxTestRuns ?? null,
      ...(released
        ? { deployment: { create: { exampleVersionId: options.exampleVersionId, status: 'deployed', templateCommitSha: 'f1x7e5', deployedAt: new Date() } } }
        : {}),
    },
  });
}
