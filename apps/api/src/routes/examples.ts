import { exampleObjectPrefix, prepareExampleUpload, type TPreparedExample } from '@computor/activities';
import { httpStatusFor, isArchiveError, readArchive, type ArchiveError } from '@computor/archive';
import { ZUploadExamplesFields, ZUuid } from '@computor/contracts';
import { Router } from 'express';
import type { ApiDeps } from '../deps';
import type { AuthUser } from '../http/request-context';
import { badRequest, conflict, HttpError, notFound, unprocessable } from '../http/errors';
import { readUploadForm } from '../http/upload';
import { parse } from '../http/validate';
import { requireCourseRole } from '../services/access';
import { examplesWhere, requireExample, unwritableExamples } from '../services/example-access';

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

/** Stores the new versions all-or-nothing; identical versions are reused, differing ones refused. */
async function storeExamples(deps: ApiDeps, examples: TPreparedExample[], user: AuthUser, courseId: string | null) {
  const { db, storage } = deps;
  const written: string[] = [];
  try {
    return await db.$transaction(
      async (tx) => {
        // Serialises concurrent uploads of the same example, so two contents never race for one prefix.
        const keys = examples.map((e) => `example:${e.identifier}`).sort();
        for (const key of keys) await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
        // New versions of an existing example need write access to it; a new identifier becomes the course's.
        const refused = await unwritableExamples(tx, user, examples.map((e) => e.identifier));
        if (refused.length) {
          throw new HttpError(403, 'forbidden', 'These examples belong to courses where you are not lecturer or higher; nothing was stored.', { examples: refused });
        }
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
            create: { identifier: e.identifier, title: e.title, description: e.description, courseId },
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
              createdById: user.id,
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
    const maxBytes = deps.config.maxUploadBytes;
    const { fields, archive } = await readUploadForm(req, { maxBytes, fields: ['course_id'], expected: 'the field course_id and one archive file (field "archive")' });
    const form = parse(ZUploadExamplesFields, fields, 'form');
    const user = req.user!;
    if (!form.course_id && !user.isAdmin) throw badRequest('Invalid form.', [{ path: 'course_id', message: 'required: the course the examples are uploaded for' }]);
    if (form.course_id) await requireCourseRole(db, user, form.course_id, 'lecturer');
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
    const examples = await storeExamples(deps, prepared.examples, user, form.course_id ?? null);
    res.status(examples.some((e) => e.created) ? 201 : 200).json({ examples });
  });

  router.get('/examples', async (req, res) => {
    const rows = await db.example.findMany({ where: examplesWhere(req.user!, 'tutor'), orderBy: { identifier: 'asc' }, include: { versions: { orderBy: { createdAt: 'asc' } } } });
    res.json({
      items: rows.map((e) => ({ id: e.id, identifier: e.identifier, title: e.title, description: e.description, versions: e.versions.map(versionView) })),
    });
  });

  router.get('/examples/:id/versions', async (req, res) => {
    const example = await requireExample(db, req.user!, req.params.id, 'read');
    const versions = await db.exampleVersion.findMany({ where: { exampleId: example.id }, orderBy: { createdAt: 'asc' } });
    res.json({ example: { id: example.id, identifier: example.identifier, title: example.title }, items: versions.map(versionView) });
  });

  // JSON rather than a zip: staff tools read single files without unpacking; UTF-8 text stays readable.
  router.get('/examples/:id/versions/:version/files', async (req, res) => {
    const example = await requireExample(db, req.user!, req.params.id, 'read');
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
