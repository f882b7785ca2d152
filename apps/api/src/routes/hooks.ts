import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { handInTimingOf } from '@computor/activities';
import { sqlOf } from '@computor/db';
import { documentsWorkflowIds, TASK_QUEUE_TASKS, WF_SYNC_FAMILY_DOCUMENTS } from '@computor/contracts';
import { HttpError } from '../http/errors';
import { errors, json, route, type TAccess } from '../http/route';
import { startHandIn } from '../services/hand-ins';
import { startWorkflow } from '../services/workflows';

/** Every caller without GitLab's token is refused alike: API tokens do not count here. */
const HOOK_ACCESS: TAccess = { anonymous: 401, student: 401, tutor: 401, lecturer: 401, otherLecturer: 401, admin: 401 };

const NO_COMMIT = /^0+$/;

/** The parts of GitLab's push event this route reads (GitLab sends more; unknown fields are ignored). */
const ZPushEvent = z.looseObject({
  object_kind: z.literal('push'),
  ref: z.string(),
  after: z.string(),
  checkout_sha: z.string().nullable().optional(),
  project_id: z.number().int(),
  project: z.looseObject({ default_branch: z.string().nullable().optional(), path_with_namespace: z.string().optional() }),
  commits: z.array(z.looseObject({ added: z.array(z.string()).optional(), modified: z.array(z.string()).optional(), removed: z.array(z.string()).optional() })).default([]),
  total_commits_count: z.number().int().optional(),
});

const ZHookAnswer = z.object({
  event_uuid: z.string().nullable(),
  /** Hand-ins started (or met again: a redelivery) for the contents whose directory the push changed. */
  started: z.array(z.object({ course_content_id: z.string(), workflow_id: z.string(), duplicate: z.boolean() })),
  /** Why nothing (more) was started: the event is not a usable push, or a content accepts no hand-ins. */
  ignored: z.array(z.string()),
  /** A push to a family's documents project: the documents sync started (or met again). */
  documents: z.object({ course_family_id: z.string(), workflow_id: z.string(), duplicate: z.boolean() }).optional(),
});

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
/** Compared against when no course matches, so that an unknown project costs the same as a wrong token. */
const DUMMY_HASH = sha256(randomUUID());

function tokenMatches(given: string, storedHex: string | null): boolean {
  const stored = storedHex && /^[0-9a-f]{64}$/.test(storedHex) ? Buffer.from(storedHex, 'hex') : DUMMY_HASH;
  return timingSafeEqual(sha256(given), stored) && storedHex !== null;
}

const projectIdOf = (body: unknown): number | null => {
  const b = body as { project_id?: unknown; project?: { id?: unknown } } | null;
  const id = typeof b?.project_id === 'number' ? b.project_id : typeof b?.project?.id === 'number' ? b.project.id : null;
  // Our project ids are PostgreSQL integers: a larger one names no repository of ours.
  return id !== null && Number.isSafeInteger(id) && id > 0 && id <= 2_147_483_647 ? id : null;
};

/** The paths a push changed; null when GitLab left commits out (it lists at most 20). */
function changedPaths(event: z.infer<typeof ZPushEvent>): string[] | null {
  if ((event.total_commits_count ?? event.commits.length) > event.commits.length) return null;
  return [...new Set(event.commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]))];
}

/**
 * GitLab project hooks of the student repositories (registered at provisioning): a push to the
 * default branch that changes an assignment's directory hands that assignment in at the pushed
 * commit and queues its test run.
 */
export const hookRoutes = [
  route({
    method: 'post',
    path: '/hooks/gitlab',
    operationId: 'gitlabHook',
    access: HOOK_ACCESS,
    public: true,
    tag: 'hooks',
    summary: 'GitLab push events of student repositories (grade on push) and documents projects (sync on push)',
    description:
      'Authenticated by `X-Gitlab-Token` (the course\'s hook token, compared in constant time with its stored hash): a missing or wrong token gets 401 and nothing is stored. ' +
      'A push to the default branch of a course family\'s documents project (with the family\'s token) starts its documents sync at the branch\'s head (workflow id from family and pushed commit, never re-run once done: a redelivery changes nothing, and an older push delivered after a newer one publishes the head, not its own files). ' +
      'A push to the default branch of a student repository hands in, per released content whose directory it changed, the pushed commit (workflow id from project, commit and content, so a redelivery never grades twice) and answers 202. ' +
      'Events that cannot be used (other kinds, other branches, deleted branches, no assignment changed, content closed) answer 200 with the reasons in `ignored` and are logged: GitLab disables hooks that keep failing.',
    ownJsonBody: { limit: '10mb', description: 'A GitLab webhook event (push events are used).', schema: ZPushEvent },
    responses: {
      200: json('Received; nothing started (`ignored` says why).', ZHookAnswer),
      202: json('Hand-ins started.', ZHookAnswer),
      ...errors({ 400: 'The body is not JSON.', 401: 'No `X-Gitlab-Token`, or one that does not belong to the project\'s course.', 503: undefined }),
    },
    handler: async ({ req, res, deps: { db, temporal, logger, config } }) => {
      const receivedAt = new Date();
      const token = req.header('x-gitlab-token');
      const eventUuid = req.header('x-gitlab-event-uuid') ?? null;
      const projectId = projectIdOf(req.body);
      // A family's documents project, with the family's token: publish the pushed commit.
      // Project ids are unique per GitLab instance only: the token picks the family.
      const families =
        projectId === null || !token
          ? []
          : await sqlOf(db)<{ id: string; gitlabHookTokenHash: string | null }>`SELECT id, gitlab_hook_token_hash AS "gitlabHookTokenHash" FROM course_families WHERE documents_project_id = ${projectId}`;
      const family = token ? families.find((f) => tokenMatches(token, f.gitlabHookTokenHash)) : undefined;
      if (family) {
        const ignoreDocs = (reason: string) => {
          logger.info('gitlab hook ignored', { reason, projectId, eventUuid, event: req.header('x-gitlab-event'), courseFamilyId: family.id });
          res.status(200).json({ event_uuid: eventUuid, started: [], ignored: [reason] });
        };
        const parsed = ZPushEvent.safeParse(req.body);
        if (!parsed.success) return ignoreDocs(`not a push event (${req.header('x-gitlab-event') ?? 'no X-Gitlab-Event'})`);
        const branch = parsed.data.project.default_branch ?? 'main';
        if (parsed.data.ref !== `refs/heads/${branch}`) return ignoreDocs(`push to ${parsed.data.ref}, not to the default branch ${branch}`);
        if (NO_COMMIT.test(parsed.data.after) || !/^[0-9a-f]{40}([0-9a-f]{24})?$/i.test(parsed.data.after)) return ignoreDocs('the branch was deleted, or the event names no commit');
        const commit = parsed.data.after.toLowerCase();
        // Per family and commit, and never re-run once done: a redelivery meets the same execution.
        const { workflowId, existing } = await startWorkflow(db, temporal, {
          type: WF_SYNC_FAMILY_DOCUMENTS,
          workflowId: documentsWorkflowIds.push(family.id, commit),
          taskQueue: TASK_QUEUE_TASKS,
          // The branch's head when it runs, not the pushed commit: GitLab delivers two quick
          // pushes' hooks in either order, and the older one's arriving last must not publish it.
          args: [{ courseFamilyId: family.id, commit: branch }],
          reusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        });
        logger.info('gitlab push to documents', { projectId, eventUuid, commit, workflowId, duplicate: existing });
        res.status(202).json({ event_uuid: eventUuid, started: [], ignored: [], documents: { course_family_id: family.id, workflow_id: workflowId, duplicate: existing } });
        return;
      }
      // The project's student, in any course; the token must be that course's.
      const members =
        projectId === null
          ? []
          : await sqlOf(db)<{ id: string; userId: string; courseId: string; removedAt: Date | null; hookTokenHash: string | null; courseArchivedAt: Date | null }>`
              SELECT m.id, m.user_id AS "userId", m.course_id AS "courseId", m.removed_at AS "removedAt",
                     c.gitlab_hook_token_hash AS "hookTokenHash", c.archived_at AS "courseArchivedAt"
                FROM course_members m JOIN courses c ON c.id = m.course_id
               WHERE m.gitlab_project_id = ${projectId} AND m.role = 'student'`;
      const member = token ? members.find((m) => tokenMatches(token, m.hookTokenHash)) : undefined;
      if (!token || !member) {
        if (token && members.length === 0 && families.length === 0) tokenMatches(token, null);
        logger.warn('gitlab hook refused', { reason: token ? 'token does not match the project\'s course' : 'no X-Gitlab-Token', projectId, eventUuid });
        throw new HttpError(401, 'unauthorized', 'The X-Gitlab-Token does not belong to this project\'s course.');
      }
      const ignore = (reason: string) => {
        logger.info('gitlab hook ignored', { reason, projectId, eventUuid, event: req.header('x-gitlab-event'), courseId: member.courseId });
        res.status(200).json({ event_uuid: eventUuid, started: [], ignored: [reason] });
      };
      const parsed = ZPushEvent.safeParse(req.body);
      if (!parsed.success) return ignore(`not a push event (${req.header('x-gitlab-event') ?? 'no X-Gitlab-Event'})`);
      const event = parsed.data;
      if (member.removedAt) return ignore('the repository\'s student is no longer a member of the course');
      if (member.courseArchivedAt) return ignore('the course is archived');
      const branch = event.project.default_branch ?? 'main';
      if (event.ref !== `refs/heads/${branch}`) return ignore(`push to ${event.ref}, not to the default branch ${branch}`);
      if (NO_COMMIT.test(event.after)) return ignore('the branch was deleted');

      // Released contents of the course (their template commit is there) and their directories.
      const contents = await sqlOf(db)<{ id: string; path: string; directory: string }>`
        SELECT cc.id, cc.path, COALESCE(cc.directory, e.identifier) AS directory
          FROM course_contents cc
          JOIN example_versions v ON v.id = cc.example_version_id
          JOIN examples e ON e.id = v.example_id
          JOIN deployments d ON d.course_content_id = cc.id AND d.template_commit_sha IS NOT NULL
         WHERE cc.course_id = ${member.courseId}::uuid AND cc.archived_at IS NULL`;
      const paths = changedPaths(event);
      const touched = contents.filter((c) => {
        const dir = `${c.directory}/`;
        return paths === null || paths.some((p) => p.startsWith(dir));
      });
      if (touched.length === 0) return ignore('the push changed no released assignment\'s directory');

      const started = [];
      const ignored: string[] = [];
      for (const content of touched) {
        // A push after the student's effective due time follows the content's late policy.
        const timing = await handInTimingOf(db, content.id, member.id, receivedAt);
        if (timing.refused) {
          ignored.push(`${content.path}: ${timing.refused}`);
          continue;
        }
        const { workflowId, existing } = await startHandIn(db, temporal, {
          projectId: projectId!,
          courseId: member.courseId,
          requestId: eventUuid ?? randomUUID(),
          courseMemberId: member.id,
          courseContentId: content.id,
          commit: event.after.toLowerCase(),
          source: 'push',
          requestedById: member.userId,
          maxBytes: config.maxUploadBytes,
          receivedAt: receivedAt.toISOString(),
          ...(eventUuid ? { eventUuid: eventUuid.slice(0, 100) } : {}),
        });
        started.push({ course_content_id: content.id, workflow_id: workflowId, duplicate: existing });
      }
      if (started.length === 0) return ignore(ignored.join('; '));
      logger.info('gitlab push handed in', { projectId, eventUuid, commit: event.after, contents: started.map((s) => s.course_content_id), duplicates: started.filter((s) => s.duplicate).length, ignored });
      res.status(202).json({ event_uuid: eventUuid, started, ignored });
    },
  }),
];
