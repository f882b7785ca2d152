import { exampleObjectPrefix, prepareExampleUpload, type TPreparedExample } from '@computor/activities';
import { httpStatusFor, isArchiveError, readArchive, type ArchiveError } from '@computor/archive';
import { roleSatisfies, ZUuid, type TCourseRole } from '@computor/contracts';
import type { Db } from '@computor/db';
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import type { AuthUser } from '../http/request-context';
import { conflict, forbidden, HttpError, notFound, unprocessable } from '../http/errors';
import { readUploadForm } from '../http/upload';

/** The highest role the user holds in any course (admins count as owners), or null. */
async function highestRole(db: Db, user: AuthUser): Promise<TCourseRole | null> {
  if (user.isAdmin) return 'owner';
  const rows = await db.courseMember.findMany({ where: { userId: user.id, removedAt: null }, select: { role: true } });
  return rows.reduce<TCourseRole | null>((best, r) => (best === null || roleSatisfies(r.role, best) ? r.role : best), null);
}

/** The example library is shared between courses: staff of any course may act on it. */
async function requireLibraryRole(db: Db, user: AuthUser, required: TCourseRole): Promise<void> {
  const role = await highestRole(db, user);
  if (!role || !roleSatisfies(role, required)) throw forbidden(`This action requires the role ${required} or higher in some course.`);
}


const versionView = (v: {
  id: string;
  exampleId: string;
  versionTag: string;
  contentHash: string;
  objectPrefix: string;
  fileCount: number;
  totalBytes: number;
  verificationStatus: string;
  verifiedAt: Date | null;
  createdAt: Date;
}) => ({
  id: v.id,
  exampleId: v.exampleId,
  versionTag: v.versionTag,
  contentHash: v.contentHash,
  objectPrefix: v.objectPrefix,
  fileCount: v.fileCount,
  totalBytes: v.totalBytes,
  verificationStatus: v.verificationStatus,
  verifiedAt: v.verifiedAt,
  createdAt: v.createdAt,
});

async function findExample(db: Db, idOrIdentifier: string) {
  const example = ZUuid.safeParse(idOrIdentifier).success
    ? await db.example.findUnique({ where: { id: idOrIdentifier } })
    : await db.example.findUnique({ where: { identifier: idOrIdentifier } });
  if (!example) throw notFound('Example');
  return example;
}

/** Stores the new versions all-or-nothing; identical versions are reused, differing ones refused. */
async function storeExamples(deps: ApiDeps, examples: TPreparedExample[], userId: string) {
  const { db, storage } = deps;
  const written: string[] = [];
  try {
    return await db.$transaction(
      async (tx) => {
        // Serialises concurrent uploads of the same example, so two contents never race for one prefix.
        const keys = examples.map((e) => `example:${e.identifier}`).sort();
        for (const key of keys) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
        const existing = await tx.exampleVersion.findMany({
          where: { OR: examples.map((e) => ({ versionTag: e.versionTag, example: { identifier: e.identifier } })) },
          include: { example: true },
        });
        const same = (e: TPreparedExample) => existing.find((v) => v.example.identifier === e.identifier && v.versionTag === e.versionTag);
        const clashes = examples.filter((e) => same(e) && same(e)!.contentHash !== e.contentHash);
        if (clashes.length) {
          throw conflict('These versions exist with different content; publish a new version tag.', {
            examples: clashes.map((e) => ({ identifier: e.identifier, version: e.versionTag, directory: e.directory })),
          });
        }
        const results = [];
        for (const e of examples) {
          const found = same(e);
          if (found) {
            results.push({ id: found.example.id, identifier: e.identifier, title: found.example.title, created: false, version: versionView(found) });
            continue;
          }
          const prefix = exampleObjectPrefix(e.identifier, e.versionTag);
          // Leftovers of an upload that failed after storing are replaced, never mixed in.
          await storage.deletePrefix(prefix);
          written.push(prefix);
          await storage.putFiles(prefix, e.files);
          const example = await tx.example.upsert({
            where: { identifier: e.identifier },
            create: { identifier: e.identifier, title: e.title, description: e.description },
            update: { title: e.title, description: e.description },
          });
          const version = await tx.exampleVersion.create({
            data: {
              exampleId: example.id,
              versionTag: e.versionTag,
              contentHash: e.contentHash,
              objectPrefix: prefix,
              fileCount: e.files.length,
              totalBytes: e.totalBytes,
              meta: JSON.parse(JSON.stringify(e.meta)),
              createdById: userId,
            },
          });
          results.push({ id: example.id, identifier: e.identifier, title: example.title, created: true, version: versionView(version) });
        }
        return results;
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
  } catch (error) {
    await Promise.all(written.map((p) => storage.deletePrefix(p).catch(() => 0)));
    throw error;
  }
}

/** The example library: upload (validated, versioned, content-addressed), listing, download. */
export function exampleRoutes(deps: ApiDeps): Router {
  const { db, storage } = deps;
  const router = Router();

  router.post('/examples', async (req, res) => {
    await requireLibraryRole(db, req.user!, 'lecturer');
    const maxBytes = deps.config.maxUploadBytes;
    const { archive } = await readUploadForm(req, { maxBytes, expected: 'one archive file (field "archive")' });
    let files;
    try {
      files = await readArchive(archive, { maxArchiveBytes: maxBytes });
    } catch (error) {
      if (!isArchiveError(error)) throw error;
      const e = error as ArchiveError;
      const status = httpStatusFor(e.code);
      throw new HttpError(status, status === 413 ? 'payload_too_large' : 'bad_request', `Archive refused: ${e.message}`, { code: e.code, ...(e.entry ? { entry: e.entry } : {}) });
    }
    const prepared = prepareExampleUpload(files);
    if (!prepared.ok) throw unprocessable('The archive holds invalid examples; nothing was stored.', { problems: prepared.problems });
    const examples = await storeExamples(deps, prepared.examples, req.user!.id);
    res.status(examples.some((e) => e.created) ? 201 : 200).json({ examples });
  });

  router.get('/examples', async (req, res) => {
    await requireLibraryRole(db, req.user!, 'tutor');
    const rows = await db.example.findMany({ orderBy: { identifier: 'asc' }, include: { versions: { orderBy: { createdAt: 'asc' } } } });
    res.json({
      items: rows.map((e) => ({ id: e.id, identifier: e.identifier, title: e.title, description: e.description, versions: e.versions.map(versionView) })),
    });
  });

  router.get('/examples/:id/versions', async (req, res) => {
    await requireLibraryRole(db, req.user!, 'tutor');
    const example = await findExample(db, req.params.id);
    const versions = await db.exampleVersion.findMany({ where: { exampleId: example.id }, orderBy: { createdAt: 'asc' } });
    res.json({ example: { id: example.id, identifier: example.identifier, title: example.title }, items: versions.map(versionView) });
  });

  // JSON rather than a zip: staff tools read single files without unpacking; UTF-8 text stays readable.
  router.get('/examples/:id/versions/:version/files', async (req, res) => {
    await requireLibraryRole(db, req.user!, 'tutor');
    const example = await findExample(db, req.params.id);
    const version = ZUuid.safeParse(req.params.version).success
      ? await db.exampleVersion.findFirst({ where: { id: req.params.version, exampleId: example.id } })
      : await db.exampleVersion.findUnique({ where: { exampleId_versionTag: { exampleId: example.id, versionTag: req.params.version } } });
    if (!version) throw notFound('Example version');
    const files = (await storage.getFiles(version.objectPrefix)).sort((a, b) => (a.path < b.path ? -1 : 1));
    const decoder = new TextDecoder('utf-8', { fatal: true });
    res.json({
      example: { id: example.id, identifier: example.identifier },
      version: versionView(version),
      files: files.map((f) => {
        try {
          return { path: f.path, size: f.data.length, encoding: 'utf8', content: decoder.decode(f.data) };
        } catch {
          return { path: f.path, size: f.data.length, encoding: 'base64', content: f.data.toString('base64') };
        }
      }),
    });
  });

  return router;
}
