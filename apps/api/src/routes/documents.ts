import { pipeline } from 'node:stream/promises';
import { COURSE_ROLES, documentStorageKeys, documentsWorkflowIds, roleSatisfies, TASK_QUEUE_TASKS, WF_SYNC_FAMILY_DOCUMENTS, ZDocumentList, ZDocumentPath, ZSyncDocumentsBody, type TCourseRole } from '@computor/contracts';
import type { Db } from '@computor/db';
import { conflict, forbidden, notFound } from '../http/errors';
import { access, content, errors, json, jsonBody, route, uuidParam } from '../http/route';
import type { AuthUser } from '../http/request-context';
import { ZWorkflowStartedBody } from '../openapi/responses';
import { startWorkflow } from '../services/workflows';

const familyId = uuidParam('Course family');

// The matrix's course A belongs to the family, and `otherLecturer` lectures another course of the
// same family: a member of the family too.
const MEMBERS_OF_FAMILY = access({ student: 200, tutor: 200, lecturer: 200, otherLecturer: 200, admin: 200 });
const LECTURERS_OF_FAMILY = access({ student: 403, tutor: 403, lecturer: 202, otherLecturer: 202, admin: 202 });

/**
 * The family with the caller's highest role in any of its courses (admins: owner): 404 when it does
 * not exist or the caller is a member of none of its courses, 403 below `required`.
 */
async function requireFamilyRole(db: Db, user: AuthUser, id: string, required: TCourseRole) {
  const family = await db.courseFamily.findUnique({ where: { id } });
  if (!family) throw notFound('Course family');
  let role: TCourseRole | null = user.isAdmin ? 'owner' : null;
  if (!role) {
    const memberships = await db.courseMember.findMany({ where: { userId: user.id, removedAt: null, course: { courseFamilyId: id } }, select: { role: true } });
    role = memberships.map((m) => m.role).sort((a, b) => COURSE_ROLES.indexOf(a) - COURSE_ROLES.indexOf(b))[0] ?? null;
  }
  if (!role) throw notFound('Course family');
  if (!roleSatisfies(role, required)) throw forbidden(`This action requires the role ${required} or higher in a course of the family; you are ${role}.`);
  return { family, role };
}

const etagOf = (sha256: string) => `"${sha256}"`;

/** Whether If-None-Match names this entity (`*`, or its ETag, weak or strong). */
function notModified(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** A course family's documents repository: on-demand sync, listing, files for the members of its courses. */
export const documentRoutes = [
  route({
    method: 'post',
    path: '/course-families/:id/documents/sync',
    operationId: 'syncFamilyDocuments',
    access: LECTURERS_OF_FAMILY,
    tag: 'documents',
    summary: 'Publish the family\'s documents project at a commit (lecturer or higher of a course of the family)',
    description:
      'Starts `syncFamilyDocumentsWorkflow`: the documents project at `commit` (a commit, branch or tag; default: the default branch\'s head) is mirrored into object storage, only changed files by content hash. ' +
      'Without `commit` one sync per family runs at a time (a repeat answers the running one); with one, the workflow id names family and commit. A commit GitLab does not know fails the workflow (InvalidInput).',
    params: { id: familyId },
    body: jsonBody(ZSyncDocumentsBody, { required: false }),
    responses: {
      202: json('Sync started.', ZWorkflowStartedBody),
      ...errors({ 403: undefined, 404: 'No such course family, or the caller is a member of none of its courses.', 409: 'The family has no documents project yet (set up one of its courses in GitLab).' }),
    },
    handler: async ({ res, deps: { db, temporal }, user, params, body }) => {
      const { family } = await requireFamilyRole(db, user, params.id, 'lecturer');
      if (!family.documentsProjectId) throw conflict('The course family has no documents project yet: set up one of its courses in GitLab first.');
      const { workflowId } = await startWorkflow(db, temporal, {
        type: WF_SYNC_FAMILY_DOCUMENTS,
        workflowId: body.commit ? documentsWorkflowIds.push(family.id, body.commit) : documentsWorkflowIds.sync(family.id),
        taskQueue: TASK_QUEUE_TASKS,
        args: [{ courseFamilyId: family.id, ...(body.commit ? { commit: body.commit } : {}) }],
        requestedById: user.id,
      });
      res.status(202).json({ workflow_id: workflowId, status: 'started' });
    },
  }),
  route({
    method: 'get',
    path: '/course-families/:id/documents',
    operationId: 'listFamilyDocuments',
    access: MEMBERS_OF_FAMILY,
    tag: 'documents',
    summary: 'The published documents of the family (members of any of its courses)',
    params: { id: familyId },
    responses: { 200: json('The files at the synced commit, sorted by path.', ZDocumentList), ...errors({ 404: 'No such course family, or the caller is a member of none of its courses.' }) },
    handler: async ({ res, deps: { db }, user, params }) => {
      const { family } = await requireFamilyRole(db, user, params.id, 'student');
      const rows = await db.familyDocument.findMany({ where: { courseFamilyId: family.id }, orderBy: { path: 'asc' } });
      res.json({
        course_family_id: family.id,
        commit: family.documentsCommitSha,
        synced_at: family.documentsSyncedAt?.toISOString() ?? null,
        items: rows.map((r) => ({ path: r.path, size: r.size, content_type: r.contentType, etag: etagOf(r.sha256) })),
      });
    },
  }),
  route({
    method: 'get',
    path: '/course-families/:id/documents/*path',
    operationId: 'getFamilyDocument',
    access: MEMBERS_OF_FAMILY,
    tag: 'documents',
    summary: 'One published document, streamed (members of any course of the family)',
    description:
      'Served with its content type (by extension), `ETag` (the quoted SHA-256 of the content), `Cache-Control: private, no-cache` and a sandboxing Content-Security-Policy; `If-None-Match` with the current ETag answers 304. ' +
      'Paths are looked up in the family\'s manifest only: `..`, `.` and empty segments (also percent-encoded) answer 400, unknown paths 404.',
    params: { id: familyId, path: ZDocumentPath },
    responses: {
      200: content('The file.', 'application/octet-stream', { type: 'string', format: 'binary' }),
      304: { description: 'Not modified: `If-None-Match` names the current ETag.' },
      ...errors({ 404: 'No such course family or document, or the caller is a member of none of the family\'s courses.' }),
    },
    handler: async ({ req, res, deps: { db, storage }, user, params }) => {
      const { family } = await requireFamilyRole(db, user, params.id, 'student');
      const doc = await db.familyDocument.findUnique({ where: { courseFamilyId_path: { courseFamilyId: family.id, path: params.path } } });
      if (!doc) throw notFound('Document');
      const etag = etagOf(doc.sha256);
      // Served from the API's origin: never let a published HTML or SVG file run script there.
      res.set({ ETag: etag, 'Cache-Control': 'private, no-cache', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox" });
      if (notModified(req.header('if-none-match'), etag)) {
        res.status(304).end();
        return;
      }
      const { body } = await storage.getStream(documentStorageKeys.blob(family.id, doc.sha256));
      res.status(200).set({ 'Content-Type': doc.contentType, 'Content-Length': String(doc.size) });
      await pipeline(body, res);
    },
  }),
];
