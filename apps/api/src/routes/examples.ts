import { exampleObjectPrefix, prepareExampleUpload, type TPreparedExample } from '@computor/activities';
import { httpStatusFor, isArchiveError, readArchive, type ArchiveError } from '@computor/archive';
import { ZUploadExamplesFields, ZUuid } from '@computor/contracts';
import type { ApiDeps } from '../deps';
import type { AuthUser } from '../http/request-context';
import { badRequest, conflict, HttpError, notFound, unprocessable } from '../http/errors';
import { ANY_USER, errors, json, lecturerOfCourse, multipartBody, route, staffOfCourse, textParam } from '../http/route';
import { ZExampleFilesBody, ZExampleListBody, ZExampleUploadBody, ZExampleVersionsBody } from '../openapi/responses';
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

const MULTIPART_MAX = 'The archive may not exceed the configured upload limit (API_MAX_UPLOAD_BYTES).';

/** The example library: upload (validated, versioned, content-addressed), listing, download. */
export const exampleRoutes = [
  route({
    method: 'post',
    path: '/examples',
    operationId: 'uploadExamples',
    access: lecturerOfCourse(201),
    limit: 'uploads',
    tag: 'examples',
    summary: 'Upload an archive of examples for a course; validated, versioned, stored all-or-nothing (lecturer or higher of `course_id`; new versions of an existing example: lecturer or higher of a course it belongs to or that uses it)',
    body: multipartBody({
      fields: ZUploadExamplesFields.extend({
        course_id: ZUploadExamplesFields.shape.course_id.meta({ description: 'The course the examples are uploaded for (new examples belong to it); required but for administrators.' }),
      }),
      file: { name: 'archive', description: 'A zip or tar(.gz) archive of one or more example directories (meta.yaml + test.yaml each).' },
      expected: 'the field course_id and one archive file (field "archive")',
      description: MULTIPART_MAX,
    }),
    responses: {
      200: json('Every version existed with identical content (nothing new stored).', ZExampleUploadBody),
      201: json('At least one new version stored.', ZExampleUploadBody),
      ...errors({
        400: 'Not multipart with exactly one file, `course_id` missing or invalid, or the archive is malformed (`details.code`).',
        403: 'Not lecturer or higher of `course_id`, or the archive holds new versions of examples the caller may not change (`details.examples`).',
        404: 'No such course, or not visible.',
        409: 'A version exists with different content; publish a new version tag.',
        413: MULTIPART_MAX,
        422: 'The archive holds invalid examples (`details.problems`); nothing was stored.',
      }),
    },
    handler: async ({ res, deps, user, readForm }) => {
      const { fields: form, archive } = await readForm();
      if (!form.course_id && !user.isAdmin) throw badRequest('Invalid form.', [{ path: 'course_id', message: 'required: the course the examples are uploaded for' }]);
      if (form.course_id) await requireCourseRole(deps.db, user, form.course_id, 'lecturer');
      let files;
      try {
        files = await readArchive(archive, { maxArchiveBytes: deps.config.maxUploadBytes });
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
    },
  }),
  route({
    method: 'get',
    path: '/examples',
    operationId: 'listExamples',
    access: ANY_USER,
    tag: 'examples',
    summary: 'The examples the caller may read, with all versions (tutor or higher of a course the example belongs to or that uses it; administrators: all)',
    responses: { 200: json('Examples by identifier.', ZExampleListBody) },
    handler: async ({ res, deps, user }) => {
      const rows = await deps.db.example.findMany({ where: examplesWhere(user, 'tutor'), orderBy: { identifier: 'asc' }, include: { versions: { orderBy: { createdAt: 'asc' } } } });
      res.json({
        items: rows.map((e) => ({ id: e.id, identifier: e.identifier, title: e.title, description: e.description, versions: e.versions.map(versionView) })),
      });
    },
  }),
  route({
    method: 'get',
    path: '/examples/:id/versions',
    operationId: 'listExampleVersions',
    access: staffOfCourse(200),
    tag: 'examples',
    summary: 'Versions of an example, by id or identifier (tutor or higher of a course the example belongs to or that uses it)',
    params: { id: textParam },
    responses: { 200: json('Versions, oldest first.', ZExampleVersionsBody), ...errors({ 404: 'No such example, or not one the caller may read.' }) },
    handler: async ({ res, deps: { db }, user, params }) => {
      const example = await requireExample(db, user, params.id, 'read');
      const versions = await db.exampleVersion.findMany({ where: { exampleId: example.id }, orderBy: { createdAt: 'asc' } });
      res.json({ example: { id: example.id, identifier: example.identifier, title: example.title }, items: versions.map(versionView) });
    },
  }),
  // JSON rather than a zip: staff tools read single files without unpacking; UTF-8 text stays readable.
  route({
    method: 'get',
    path: '/examples/:id/versions/:version/files',
    operationId: 'getExampleFiles',
    access: staffOfCourse(200),
    tag: 'examples',
    summary: 'Files of an example version (by version id or tag), UTF-8 text or base64 (tutor or higher of a course the example belongs to or that uses it)',
    params: { id: textParam, version: textParam },
    responses: { 200: json('The files, sorted by path.', ZExampleFilesBody), ...errors({ 404: 'No such example or version, or not one the caller may read.' }) },
    handler: async ({ res, deps: { db, storage }, user, params }) => {
      const example = await requireExample(db, user, params.id, 'read');
      const version = ZUuid.safeParse(params.version).success
        ? await db.exampleVersion.findFirst({ where: { id: params.version, exampleId: example.id } })
        : await db.exampleVersion.findUnique({ where: { exampleId_versionTag: { exampleId: example.id, versionTag: params.version } } });
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
    },
  }),
];
