import { createApiToken, findUserByToken, type Db } from '@computor/db';
import { stackDb } from '@computor/test-support';

// The migrated schema, exercised through the generated client against the stack's PostgreSQL.
let db: Db;
const tag = Math.random().toString(36).slice(2, 10);

beforeAll(() => {
  db = stackDb();
});
afterAll(async () => {
  await db.$disconnect();
});

it('round-trips a course with members, an artifact and a result', async () => {
  const lecturer = await db.user.create({ data: { email: `lec-${tag}@example.test`, username: `lec-${tag}` } });
  const student = await db.user.create({ data: { email: `stu-${tag}@example.test`, username: `stu-${tag}` } });
  const org = await db.organization.create({ data: { path: `org-${tag}`, title: 'Org', gitlabUrl: 'https://gitlab.example.test', gitlabParentGroupId: 42 } });
  const family = await db.courseFamily.create({ data: { organizationId: org.id, path: 'prog', title: 'Programming' } });
  const course = await db.course.create({
    data: {
      courseFamilyId: family.id,
      path: '2026ws',
      title: 'Programming 2026',
      gitlabGroupId: 1001,
      members: { create: [{ userId: lecturer.id, role: 'lecturer' }, { userId: student.id, role: 'student', gitlabProjectId: 2002 }] },
    },
  });
  const example = await db.example.create({ data: { identifier: `ex.${tag}`, title: 'Example' } });
  const version = await db.exampleVersion.create({
    data: { exampleId: example.id, versionTag: '1.0', contentHash: 'h', objectPrefix: `examples/${tag}/1.0/`, fileCount: 3, totalBytes: 100, meta: { title: 'Example' } },
  });
  const content = await db.courseContent.create({ data: { courseId: course.id, path: 'week1.hello', title: 'Hello', exampleVersionId: version.id, maxTestRuns: 5 } });
  const studentMember = await db.courseMember.findUniqueOrThrow({ where: { courseId_userId: { courseId: course.id, userId: student.id } } });
  const group = await db.submissionGroup.create({ data: { courseContentId: content.id, members: { create: [{ courseMemberId: studentMember.id }] } } });
  const artifact = await db.submissionArtifact.create({
    data: { submissionGroupId: group.id, uploadedById: student.id, objectPrefix: `submissions/${tag}/`, contentHash: 'c', fileCount: 1, totalBytes: 10, commitSha: 'abc123' },
  });
  await db.result.create({
    data: {
      artifactId: artifact.id,
      submissionGroupId: group.id,
      courseContentId: content.id,
      workflowId: `test-submission-${tag}`,
      status: 'completed',
      score: 0.75,
      passed: false,
      checksTotal: 4,
      checksPassed: 3,
      checksFailed: 1,
      checksSkipped: 0,
      summary: { total: 4, passed: 3, failed: 1, skipped: 0 },
    },
  });

  const loaded = await db.course.findUniqueOrThrow({
    where: { id: course.id },
    include: {
      members: { include: { user: true }, orderBy: { role: 'asc' } },
      contents: { include: { submissionGroups: { include: { artifacts: { include: { results: true } }, members: true } } } },
    },
  });
  expect(loaded.gitlabGroupId).toBe(1001);
  expect(loaded.members.map((m) => [m.user.username, m.role])).toEqual([
    [`lec-${tag}`, 'lecturer'],
    [`stu-${tag}`, 'student'],
  ]);
  const result = loaded.contents[0]!.submissionGroups[0]!.artifacts[0]!.results[0]!;
  expect(result).toMatchObject({ status: 'completed', score: 0.75, checksPassed: 3, summary: { total: 4, passed: 3, failed: 1, skipped: 0 } });

  // The same user cannot be a member twice; the unique key holds.
  await expect(db.courseMember.create({ data: { courseId: course.id, userId: student.id, role: 'tutor' } })).rejects.toThrow();
});

it('stores only a hash of an API token and resolves the token to its user', async () => {
  const user = await db.user.create({ data: { email: `tok-${tag}@example.test`, username: `tok-${tag}` } });
  const { id, token } = await createApiToken(db, { userId: user.id, name: 't' });
  const row = await db.apiToken.findUniqueOrThrow({ where: { id } });
  expect(row.tokenHash).not.toContain(token);
  expect(JSON.stringify(row)).not.toContain(token);
  expect((await findUserByToken(db, token))?.id).toBe(user.id);
  await db.apiToken.update({ where: { id }, data: { revokedAt: new Date() } });
  expect(await findUserByToken(db, token)).toBeNull();
});
