import {
  ZAddMembersBody,
  ZApiError,
  ZArchiveCourseBody,
  ZAssignExampleBody,
  ZCreateCourseBody,
  ZCreateCourseContentBody,
  ZCreateCourseFamilyBody,
  ZCreateOrganizationBody,
  ZCreateSubmissionFields,
  ZCreateUserBody,
  ZHierarchyDocument,
  ZReleaseSelectionBody,
  ZReleaseStudentTemplateBody,
  ZResultQuery,
  ZVerifyExampleBody,
} from '@computor/contracts';
import { z } from 'zod';
import * as R from './responses';

type JsonSchema = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'delete';

/** The callers of the permission matrix, each relative to the resource's course ("the course"). */
export const CALLERS = ['anonymous', 'student', 'tutor', 'lecturer', 'otherLecturer', 'admin'] as const;
export type TCaller = (typeof CALLERS)[number];
/**
 * The status each caller gets from the route in the permission-matrix scenario
 * (`permission-matrix.int.test.ts`): the route's own course A has a student, a tutor and a
 * lecturer; `otherLecturer` is a lecturer of another course only; the admin is an administrator.
 */
export type TAccess = Record<TCaller, number>;

/** Access of an authenticated route: anonymous callers get 401. */
const access = (a: Omit<TAccess, 'anonymous'>): TAccess => ({ anonymous: 401, ...a });
const PUBLIC: TAccess = { anonymous: 200, student: 200, tutor: 200, lecturer: 200, otherLecturer: 200, admin: 200 };
const ANY_USER = access({ student: 200, tutor: 200, lecturer: 200, otherLecturer: 200, admin: 200 });
const adminOnly = (ok: number) => access({ student: 403, tutor: 403, lecturer: 403, otherLecturer: 403, admin: ok });
/** Lecturer or higher of the course; outsiders do not learn it exists. */
const lecturerOfCourse = (ok: number) => access({ student: 403, tutor: 403, lecturer: ok, otherLecturer: 404, admin: ok });
/** Members of the course (students included). */
const membersOfCourse = (ok: number) => access({ student: ok, tutor: ok, lecturer: ok, otherLecturer: 404, admin: ok });
/** Tutor or higher of the course (students: 404, the resource is not theirs to see). */
const staffOfCourse = (ok: number) => access({ student: 404, tutor: ok, lecturer: ok, otherLecturer: 404, admin: ok });

interface ResponseSpec {
  description: string;
  /** A zod schema (converted as output) or a ready JSON schema; omitted for empty bodies. */
  schema?: z.ZodType | JsonSchema;
  contentType?: string;
}

/** One route as the API serves it; `path` is the Express path (`:id`). */
export interface OperationSpec {
  method: Method;
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** Public routes take no bearer token (health, metrics, the document itself). */
  public?: true;
  /** Path parameters that must be UUIDs (the route answers 404 for anything else). */
  uuidParams?: string[];
  /** Query parameters: a zod object, converted as input. */
  query?: z.ZodObject;
  /** Request body media types: zod schemas (converted as input) or JSON schemas. */
  body?: { required: boolean; content: Record<string, z.ZodType | JsonSchema>; description?: string };
  responses: Record<number, ResponseSpec>;
  /** Who may call it: the expected status per caller, asserted against the real API. */
  access: TAccess;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: `details.fields` names each offending field (`path`, `message`).',
  401: 'No bearer token, or one that is unknown, revoked or expired.',
  403: 'The caller\'s role is too low for this action.',
  404: 'Not found, or not visible to the caller (the API does not reveal existence).',
  409: 'Conflicts with the current state.',
  413: 'The request body exceeds the configured limit.',
  422: 'Well-formed, but refused on its content; `details` says why.',
  429: 'A limit is used up; `details` says which.',
  503: 'A dependency is unavailable.',
};

/** Error responses in the one error shape, each with the route-specific reason when given. */
function errors(spec: Partial<Record<number, string>>): Record<number, ResponseSpec> {
  const out: Record<number, ResponseSpec> = {};
  for (const [status, why] of Object.entries(spec)) out[Number(status)] = { description: why ?? ERROR_TEXT[Number(status)]!, schema: ZApiError };
  return out;
}

const json = (description: string, schema: z.ZodType | JsonSchema): ResponseSpec => ({ description, schema });
const jsonBody = (schema: z.ZodType, required = true) => ({ required, content: { 'application/json': schema } });

const MULTIPART_MAX = 'The archive may not exceed the configured upload limit (API_MAX_UPLOAD_BYTES).';

const exampleUpload: JsonSchema = {
  type: 'object',
  properties: {
    course_id: { type: 'string', format: 'uuid', description: 'The course the examples are uploaded for (new examples belong to it); required but for administrators.' },
    archive: { type: 'string', contentMediaType: 'application/zip', description: 'A zip or tar(.gz) archive of one or more example directories (meta.yaml + test.yaml each).' },
  },
  required: ['archive'],
};

function submissionFormFields(): JsonSchema {
  const properties = toSchema(ZCreateSubmissionFields, 'input').properties as Record<string, JsonSchema>;
  // The contract's pattern is case-insensitive (`/i`), a flag JSON Schema patterns cannot carry.
  return { ...properties, commit_sha: { ...properties.commit_sha, pattern: '^[0-9a-fA-F]{7,64}$' } };
}

/** One Server-Sent Event of GET /workflows/:id/events, as `{event, data}` (Open API 3.1 describes each event with `schema`). */
function sseEvent(): JsonSchema {
  return {
    type: 'object',
    required: ['event', 'data'],
    properties: {
      event: { type: 'string', enum: ['status', 'progress', 'end'] },
      data: {
        type: 'string',
        contentMediaType: 'application/json',
        contentSchema: { anyOf: [toSchema(R.ZWorkflowStatusBody, 'output'), { type: 'object', properties: { workflow_id: { type: 'string' }, progress: {} }, required: ['workflow_id'] }] },
      },
    },
  };
}

/** The release bodies take exactly one of `course_content_ids` or `all` (a refinement zod cannot export). */
function releaseBody(schema: z.ZodType): JsonSchema {
  return { ...toSchema(schema, 'input'), oneOf: [{ required: ['course_content_ids'] }, { required: ['all'] }] };
}

/** Every route of the API, grouped like `src/routes/`. The integration test checks it against the app's router. */
export const OPERATIONS: OperationSpec[] = [
  // health.ts, app.ts, openapi/routes.ts
  { method: 'get', path: '/healthz', operationId: 'healthz', access: PUBLIC, tag: 'health', summary: 'Liveness: the process answers', public: true, responses: { 200: json('Alive.', R.ZHealthBody) } },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    access: PUBLIC,
    tag: 'health',
    summary: 'Readiness: PostgreSQL, Temporal and object storage answer',
    public: true,
    responses: { 200: json('Every component is up.', R.ZReadyBody), 503: json('At least one component is down; `components` says which.', R.ZReadyBody) },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    access: PUBLIC,
    tag: 'health',
    summary: 'Prometheus metrics (text exposition format)',
    description: 'No API token; when the API runs with METRICS_TOKEN, a scrape must send `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise).',
    public: true,
    responses: { 200: { description: 'Prometheus text format.', contentType: 'text/plain', schema: { type: 'string' } } },
  },
  { method: 'get', path: '/openapi.json', operationId: 'openapiDocument', access: PUBLIC, tag: 'docs', summary: 'This OpenAPI 3.1 document', public: true, responses: { 200: json('The document.', { type: 'object' }) } },
  {
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    access: PUBLIC,
    tag: 'docs',
    summary: 'Human-readable API documentation (self-contained HTML)',
    public: true,
    responses: { 200: { description: 'HTML page.', contentType: 'text/html', schema: { type: 'string' } } },
  },

  // me.ts
  { method: 'get', path: '/me', operationId: 'getMe', access: ANY_USER, tag: 'users', summary: 'The caller and their course memberships', responses: { 200: json('The caller.', R.ZMeView) } },

  // resources.ts
  {
    method: 'post',
    path: '/users',
    operationId: 'createUser',
    access: adminOnly(201),
    tag: 'users',
    summary: 'Create a user (administrators)',
    body: jsonBody(ZCreateUserBody),
    responses: { 201: json('Created.', R.ZUserView), ...errors({ 400: undefined, 403: 'Not an administrator.', 409: 'E-mail or username taken.', 413: undefined }) },
  },
  {
    method: 'get',
    path: '/users/:id',
    operationId: 'getUser',
    access: access({ student: 200, tutor: 404, lecturer: 404, otherLecturer: 404, admin: 200 }),
    tag: 'users',
    summary: 'A user (administrators, or the user themself)',
    uuidParams: ['id'],
    responses: { 200: json('The user.', R.ZUserView), ...errors({ 404: undefined }) },
  },
  {
    method: 'post',
    path: '/organizations',
    operationId: 'createOrganization',
    access: adminOnly(201),
    tag: 'resources',
    summary: 'Create an organization (administrators)',
    body: jsonBody(ZCreateOrganizationBody),
    responses: { 201: json('Created.', R.ZOrganizationView), ...errors({ 400: undefined, 403: 'Not an administrator.', 409: 'The path is taken.', 413: undefined }) },
  },
  {
    method: 'get',
    path: '/organizations',
    operationId: 'listOrganizations',
    access: adminOnly(200),
    tag: 'resources',
    summary: 'All organizations (administrators)',
    responses: { 200: json('Organizations by path.', R.ZListOf(R.ZOrganizationView)), ...errors({ 403: 'Not an administrator.' }) },
  },
  {
    method: 'post',
    path: '/course-families',
    operationId: 'createCourseFamily',
    access: adminOnly(201),
    tag: 'resources',
    summary: 'Create a course family (administrators)',
    body: jsonBody(ZCreateCourseFamilyBody),
    responses: {
      201: json('Created.', R.ZCourseFamilyView),
      ...errors({ 400: undefined, 403: 'Not an administrator.', 404: 'No such organization.', 409: 'The path is taken in this organization.', 413: undefined }),
    },
  },
  {
    method: 'post',
    path: '/courses',
    operationId: 'createCourse',
    access: adminOnly(201),
    tag: 'resources',
    summary: 'Create a course (administrators)',
    body: jsonBody(ZCreateCourseBody),
    responses: {
      201: json('Created.', R.ZCourseView),
      ...errors({ 400: undefined, 403: 'Not an administrator.', 404: 'No such course family.', 409: 'The path is taken in this family.', 413: undefined }),
    },
  },
  { method: 'get', path: '/courses', operationId: 'listCourses', access: ANY_USER, tag: 'resources', summary: 'Courses the caller is a member of (administrators: all)', responses: { 200: json('Courses.', R.ZListOf(R.ZCourseView)) } },
  {
    method: 'get',
    path: '/courses/:id',
    operationId: 'getCourse',
    access: membersOfCourse(200),
    tag: 'resources',
    summary: 'A course the caller is a member of',
    uuidParams: ['id'],
    responses: { 200: json('The course.', R.ZCourseView), ...errors({ 404: undefined }) },
  },

  // courses.ts
  {
    method: 'post',
    path: '/courses/:id/setup-gitlab',
    operationId: 'setupCourseGitlab',
    access: lecturerOfCourse(202),
    tag: 'provisioning',
    summary: 'Start creating the course\'s GitLab groups and projects (lecturer or higher)',
    description: 'Idempotent: a repeated request while the workflow runs answers the running execution.',
    uuidParams: ['id'],
    responses: { 202: json('Workflow started.', R.ZWorkflowStartedBody), ...errors({ 403: undefined, 404: undefined }) },
  },
  {
    method: 'post',
    path: '/courses/:id/members',
    operationId: 'addCourseMembers',
    access: lecturerOfCourse(202),
    tag: 'provisioning',
    summary: 'Add one member, or several (`members`), and start their GitLab provisioning (lecturer or higher)',
    description: 'Nobody grants a role above their own. Students get a repository (one or a batch workflow); staff get their permissions synced.',
    uuidParams: ['id'],
    body: jsonBody(ZAddMembersBody),
    responses: {
      202: json('Members added, workflows started.', R.ZMembersAddedBody),
      ...errors({ 400: 'Invalid body, or a user listed twice.', 403: 'Role too low, or a role above the caller\'s own requested.', 404: 'No such course (or not visible), or unknown user ids.', 409: 'Some users are members already (`details.userIds`).', 413: undefined }),
    },
  },
  {
    method: 'delete',
    path: '/courses/:id/members/:memberId',
    operationId: 'removeCourseMember',
    access: lecturerOfCourse(202),
    tag: 'provisioning',
    summary: 'Remove a member and start revoking their GitLab access (lecturer or higher)',
    uuidParams: ['id', 'memberId'],
    responses: { 202: json('Workflow started.', R.ZWorkflowStartedBody), ...errors({ 403: 'Role too low, or the member\'s role is above the caller\'s.', 404: 'No such course or member.' }) },
  },
  {
    method: 'post',
    path: '/courses/:id/archive',
    operationId: 'archiveCourse',
    access: lecturerOfCourse(202),
    tag: 'provisioning',
    summary: 'Archive a course: revoke student access; optionally remove student repositories and the course groups in GitLab (lecturer or higher)',
    uuidParams: ['id'],
    body: jsonBody(ZArchiveCourseBody, false),
    responses: { 202: json('Workflow started.', R.ZWorkflowStartedBody), ...errors({ 400: undefined, 403: undefined, 404: undefined, 413: undefined }) },
  },
  {
    method: 'post',
    path: '/deployments',
    operationId: 'deployHierarchy',
    access: adminOnly(202),
    tag: 'provisioning',
    summary: 'Declare organizations, families and courses (JSON or YAML) and provision them in GitLab (administrators)',
    body: {
      required: true,
      description: 'The same document as JSON or as YAML (`application/yaml`, `application/x-yaml`, `text/yaml`, `text/plain`).',
      content: { 'application/json': ZHierarchyDocument, 'application/yaml': { type: 'string', description: 'The hierarchy document in YAML.' } },
    },
    responses: {
      202: json('Rows created or updated, deployment workflow started.', R.ZDeploymentStartedBody),
      ...errors({ 400: 'Malformed YAML or JSON, invalid document, duplicate courses, or no course declared.', 403: 'Not an administrator.', 409: 'An organization exists in GitLab with different GitLab settings.', 413: undefined }),
    },
  },

  // contents.ts
  {
    method: 'post',
    path: '/courses/:id/contents',
    operationId: 'createCourseContent',
    access: lecturerOfCourse(201),
    tag: 'contents',
    summary: 'Create a course content (assignment slot) (lecturer or higher)',
    uuidParams: ['id'],
    body: jsonBody(ZCreateCourseContentBody),
    responses: { 201: json('Created (staff view).', R.ZContentView), ...errors({ 400: undefined, 403: undefined, 404: undefined, 409: 'The path is taken in this course.', 413: undefined }) },
  },
  {
    method: 'get',
    path: '/courses/:id/contents',
    operationId: 'listCourseContents',
    access: membersOfCourse(200),
    tag: 'contents',
    summary: 'Contents of a course (members; students see released contents only, in the student view)',
    uuidParams: ['id'],
    responses: { 200: json('Contents by position and path.', R.ZListOf(R.ZContentView)), ...errors({ 404: undefined }) },
  },
  {
    method: 'put',
    path: '/courses/:id/contents/:contentId/example',
    operationId: 'assignExample',
    access: lecturerOfCourse(200),
    tag: 'contents',
    summary: 'Assign an example version to a content; its deployment becomes pending (lecturer or higher)',
    uuidParams: ['id', 'contentId'],
    body: jsonBody(ZAssignExampleBody),
    responses: {
      200: json('The content (staff view).', R.ZContentView),
      ...errors({ 400: undefined, 403: undefined, 404: 'No such course or content, or no example version the caller may read.', 409: 'A release of this content is running.', 413: undefined }),
    },
  },
  {
    method: 'delete',
    path: '/courses/:id/contents/:contentId/example',
    operationId: 'unassignExample',
    access: lecturerOfCourse(204),
    tag: 'contents',
    summary: 'Unassign the example of a content that was never released (lecturer or higher)',
    uuidParams: ['id', 'contentId'],
    responses: { 204: { description: 'Unassigned.' }, ...errors({ 403: undefined, 404: 'No such course or content, or no example assigned.', 409: 'The example has been released.' }) },
  },
  {
    method: 'post',
    path: '/courses/:id/student-template',
    operationId: 'releaseStudentTemplate',
    access: lecturerOfCourse(202),
    tag: 'contents',
    summary: 'Release contents into the student-template repository (lecturer or higher)',
    uuidParams: ['id'],
    body: { required: true, content: { 'application/json': releaseBody(ZReleaseStudentTemplateBody) } },
    responses: {
      202: json('Release workflow started.', R.ZReleaseStartedBody),
      ...errors({
        400: 'Invalid body: give exactly one of `course_content_ids` or `all: true`.',
        403: undefined,
        404: undefined,
        409: 'The course is not set up in GitLab yet.',
        413: undefined,
        422: 'Some selected contents cannot be released (`details.fields`).',
      }),
    },
  },
  {
    method: 'post',
    path: '/courses/:id/assignments-repository',
    operationId: 'releaseAssignments',
    access: lecturerOfCourse(202),
    tag: 'contents',
    summary: 'Publish full assignments (with solutions and tests) into the staff repository (lecturer or higher)',
    uuidParams: ['id'],
    body: { required: true, content: { 'application/json': releaseBody(ZReleaseSelectionBody) } },
    responses: {
      202: json('Release workflow started.', R.ZReleaseStartedBody),
      ...errors({
        400: 'Invalid body: give exactly one of `course_content_ids` or `all: true`.',
        403: undefined,
        404: undefined,
        409: 'The course is not set up in GitLab yet.',
        413: undefined,
        422: 'Some selected contents cannot be released (`details.fields`).',
      }),
    },
  },

  // examples.ts
  {
    method: 'post',
    path: '/examples',
    operationId: 'uploadExamples',
    access: lecturerOfCourse(201),
    tag: 'examples',
    summary: 'Upload an archive of examples for a course; validated, versioned, stored all-or-nothing (lecturer or higher of `course_id`; new versions of an existing example: lecturer or higher of a course it belongs to or that uses it)',
    body: { required: true, content: { 'multipart/form-data': exampleUpload }, description: MULTIPART_MAX },
    responses: {
      200: json('Every version existed with identical content (nothing new stored).', R.ZExampleUploadBody),
      201: json('At least one new version stored.', R.ZExampleUploadBody),
      ...errors({
        400: 'Not multipart with exactly one file, `course_id` missing or invalid, or the archive is malformed (`details.code`).',
        403: 'Not lecturer or higher of `course_id`, or the archive holds new versions of examples the caller may not change (`details.examples`).',
        404: 'No such course, or not visible.',
        409: 'A version exists with different content; publish a new version tag.',
        413: MULTIPART_MAX,
        422: 'The archive holds invalid examples (`details.problems`); nothing was stored.',
        429: 'Too many of these requests: the per-user rate limit (`details.limit` per `details.windowSeconds`); `Retry-After` says when to retry.',
      }),
    },
  },
  {
    method: 'get',
    path: '/examples',
    operationId: 'listExamples',
    access: ANY_USER,
    tag: 'examples',
    summary: 'The examples the caller may read, with all versions (tutor or higher of a course the example belongs to or that uses it; administrators: all)',
    responses: { 200: json('Examples by identifier.', R.ZExampleListBody) },
  },
  {
    method: 'get',
    path: '/examples/:id/versions',
    operationId: 'listExampleVersions',
    access: staffOfCourse(200),
    tag: 'examples',
    summary: 'Versions of an example, by id or identifier (tutor or higher of a course the example belongs to or that uses it)',
    responses: { 200: json('Versions, oldest first.', R.ZExampleVersionsBody), ...errors({ 404: 'No such example, or not one the caller may read.' }) },
  },
  {
    method: 'get',
    path: '/examples/:id/versions/:version/files',
    operationId: 'getExampleFiles',
    access: staffOfCourse(200),
    tag: 'examples',
    summary: 'Files of an example version (by version id or tag), UTF-8 text or base64 (tutor or higher of a course the example belongs to or that uses it)',
    responses: { 200: json('The files, sorted by path.', R.ZExampleFilesBody), ...errors({ 404: 'No such example or version, or not one the caller may read.' }) },
  },

  // verification.ts
  {
    method: 'post',
    path: '/examples/:id/versions/:version/verify',
    operationId: 'verifyExampleVersion',
    access: access({ student: 404, tutor: 403, lecturer: 202, otherLecturer: 404, admin: 202 }),
    tag: 'examples',
    summary: 'Start verifying an example version: grade the reference solution and every localTests hand-in (lecturer or higher of a course the example belongs to or that uses it)',
    body: jsonBody(ZVerifyExampleBody, false),
    responses: {
      202: json('Verification workflow started.', R.ZVerificationStartedBody),
      ...errors({
        400: 'Body options are not accepted (the body must be `{}` or absent).',
        403: 'The caller may read the example but not change it (tutors).',
        404: 'No such example or version, or not one the caller may read.',
        413: undefined,
        429: 'Too many of these requests: the per-user rate limit (`details.limit` per `details.windowSeconds`); `Retry-After` says when to retry.',
      }),
    },
  },

  // submissions.ts
  {
    method: 'post',
    path: '/submissions',
    operationId: 'createSubmission',
    access: access({ student: 201, tutor: 403, lecturer: 403, otherLecturer: 404, admin: 403 }),
    tag: 'submissions',
    summary: 'Hand in an archive for a course content (students of the course)',
    body: {
      required: true,
      description: MULTIPART_MAX,
      content: {
        'multipart/form-data': {
          type: 'object',
          properties: {
            ...submissionFormFields(),
            archive: { type: 'string', contentMediaType: 'application/zip', description: 'A zip or tar(.gz) archive of the hand-in.' },
          },
          required: ['course_content_id', 'archive'],
        },
      },
    },
    responses: {
      201: json('Stored.', R.ZSubmissionCreatedBody),
      ...errors({
        400: 'Invalid form, not exactly one file, a malformed or empty archive.',
        403: 'Only students of the course hand in.',
        404: 'No such course content, or not visible.',
        409: 'The content has no assignment to hand in for, or accepts no hand-ins: the course is archived, or the content archived or not released (`details.reason`). Nothing is stored.',
        413: MULTIPART_MAX,
        429: 'Too many of these requests: the per-user rate limit (`details.limit` per `details.windowSeconds`); `Retry-After` says when to retry.',
      }),
    },
  },
  {
    method: 'get',
    path: '/submissions/:id',
    operationId: 'getSubmission',
    access: membersOfCourse(200),
    tag: 'submissions',
    summary: 'A submission with its files and test runs (its group, or tutor or higher in the course)',
    uuidParams: ['id'],
    responses: { 200: json('The submission.', R.ZSubmissionBody), ...errors({ 404: undefined }) },
  },
  {
    method: 'post',
    path: '/submissions/:id/test',
    operationId: 'testSubmission',
    access: access({ student: 202, tutor: 403, lecturer: 202, otherLecturer: 404, admin: 202 }),
    tag: 'submissions',
    summary: 'Start a test run of a submission (its group, or lecturer or higher in the course)',
    uuidParams: ['id'],
    responses: {
      202: json('Test run started.', R.ZTestStartedBody),
      ...errors({
        403: 'Tutors see submissions but do not start test runs.',
        404: undefined,
        409: 'The submission was purged, the content has no assignment, or it accepts no test runs: the course is archived, or the content archived or not released (`details.reason`). Nothing is started.',
        429: 'The maximum number of test runs is used up (`details.maxTestRuns`, `details.used`), or the per-user rate limit (`details.limit` per `details.windowSeconds`, with `Retry-After`).',
      }),
    },
  },

  // results.ts
  {
    method: 'get',
    path: '/results/:id',
    operationId: 'getResult',
    access: membersOfCourse(200),
    tag: 'submissions',
    summary: 'A test result with its report (`view=report`) or the Computor testSummary view (`view=testSummary`); staff of the course read the stored report, students a view without expected values (unless the example shows them) and without internal detail',
    uuidParams: ['id'],
    query: ZResultQuery,
    responses: { 200: json('The result.', R.ZResultBody), ...errors({ 400: 'Invalid query.', 404: undefined }) },
  },

  // workflows.ts
  {
    method: 'get',
    path: '/workflows',
    operationId: 'listWorkflows',
    access: ANY_USER,
    tag: 'workflows',
    summary: 'Workflows the caller may see, newest first (administrators: all; others: what they started and their courses\' as tutor or higher)',
    query: R.ZWorkflowListQuery,
    responses: { 200: json('A page of workflows.', R.ZWorkflowListBody), ...errors({ 400: 'Invalid query.' }) },
  },
  {
    method: 'post',
    path: '/workflows/:id/cancel',
    operationId: 'cancelWorkflow',
    access: access({ student: 404, tutor: 403, lecturer: 202, otherLecturer: 404, admin: 202 }),
    tag: 'workflows',
    summary: 'Request cancellation of a running workflow (lecturer or higher in its course)',
    responses: {
      202: json('Cancellation requested.', R.ZCancelRequestedBody),
      ...errors({ 403: undefined, 404: 'No such workflow, or not visible.', 409: 'The workflow is not running.' }),
    },
  },
  {
    method: 'get',
    path: '/workflows/:id/events',
    operationId: 'workflowEvents',
    access: staffOfCourse(200),
    tag: 'workflows',
    summary: 'Server-Sent Events: `status` and `progress` on change, `end` when the workflow closes',
    responses: {
      200: {
        description: 'An event stream (each event described by the schema): `status` and `end` carry a workflow status body, `progress` `{workflow_id, progress}`; `: keepalive` comments every 15 s.',
        contentType: 'text/event-stream',
        schema: sseEvent(),
      },
      ...errors({ 404: 'No such workflow, or not visible.', 429: 'The caller holds the most open streams allowed (`details.maxStreamsPerUser`); close one first.' }),
    },
  },
  {
    method: 'get',
    path: '/workflows/:id/status',
    operationId: 'getWorkflowStatus',
    access: staffOfCourse(200),
    tag: 'workflows',
    summary: 'Status (and progress, or failure) of a workflow',
    responses: { 200: json('The status.', R.ZWorkflowStatusBody), ...errors({ 404: 'No such workflow, or not visible.' }) },
  },
  {
    method: 'get',
    path: '/workflows/:id/result',
    operationId: 'getWorkflowResult',
    access: staffOfCourse(200),
    tag: 'workflows',
    summary: 'Status and, once completed, the result; waits up to `wait` seconds for it',
    query: R.ZWorkflowResultQuery,
    responses: {
      200: json('The status, with `result` when completed.', R.ZWorkflowResultBody),
      ...errors({ 400: 'Invalid query.', 404: 'No such workflow, or not visible.', 429: 'With `wait` > 0: the caller holds the most open streams and waiting requests allowed (`details.maxStreamsPerUser`).' }),
    },
  },
];

/** Converts a zod schema to an embeddable JSON Schema 2020-12 (no `$schema`; refinements are not representable). */
export function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

// Response bodies may grow fields: clients must ignore unknown ones, so the document does not forbid them.
function allowExtraProperties(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(allowExtraProperties);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = allowExtraProperties(value);
  }
  return out;
}

const isZod = (s: unknown): s is z.ZodType => s instanceof z.ZodType;

/** Express `/a/:id/b` -> OpenAPI `/a/{id}/b`. */
export const openapiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function buildOperation(op: OperationSpec): JsonSchema {
  const parameters: JsonSchema[] = [];
  for (const name of op.path.match(/:([A-Za-z0-9_]+)/g)?.map((m) => m.slice(1)) ?? []) {
    const isUuid = op.uuidParams?.includes(name) ?? false;
    parameters.push({
      name,
      in: 'path',
      required: true,
      schema: isUuid ? { type: 'string', format: 'uuid' } : { type: 'string', minLength: 1 },
      ...(isUuid ? { description: 'A UUID; anything else answers 404.' } : {}),
    });
  }
  if (op.query) {
    const schema = toSchema(op.query, 'input');
    const required = (schema.required as string[] | undefined) ?? [];
    for (const [name, property] of Object.entries((schema.properties as Record<string, JsonSchema>) ?? {})) {
      parameters.push({ name, in: 'query', required: required.includes(name), schema: property });
    }
  }
  const responses: JsonSchema = {};
  // Every authenticated route may also meet a malformed path or NUL text (400) and an unavailable
  // database or Temporal (503), besides its own answers.
  const generic = op.public ? {} : errors({ 400: 'Invalid input, a malformed path encoding, or text containing NUL.', 401: undefined, 503: undefined });
  const all: Record<number, ResponseSpec> = { ...generic, ...op.responses };
  for (const [status, spec] of Object.entries(all).sort(([a], [b]) => Number(a) - Number(b))) {
    const schema = spec.schema === undefined ? undefined : allowExtraProperties(isZod(spec.schema) ? toSchema(spec.schema, 'output') : spec.schema);
    responses[status] = { description: spec.description, ...(schema ? { content: { [spec.contentType ?? 'application/json']: { schema } } } : {}) };
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(op.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required,
            ...(op.body.description ? { description: op.body.description } : {}),
            content: Object.fromEntries(Object.entries(op.body.content).map(([type, schema]) => [type, { schema: isZod(schema) ? toSchema(schema, 'input') : schema }])),
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of the API, built from the contracts and `OPERATIONS`. */
export function buildOpenApiDocument(options: { version?: string; serverUrl?: string } = {}): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of OPERATIONS) (paths[openapiPath(op.path)] ??= {})[op.method] = buildOperation(op);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Computor API',
      version: options.version ?? '0.1.0',
      description:
        'Orchestration backend of Computor: GitLab provisioning, assignment release and sandboxed grading, run as Temporal workflows. ' +
        'Every error uses one shape: `{"error": {"code", "message", "details"}}`.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearerAuth: [] }],
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API token (`computor token create`).' } },
    },
  };
}
