import { createApiToken, findUserByToken, modelRow, sqlOf, type Db } from '@computor/db';
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

describe('sqlOf: plain SQL on the client\'s pool', () => {
  // Timestamps are UTC without a zone, whatever the process's zone: Prisma's convention, kept here.
  // This package's test:integration script runs in New York's zone for it.
  it('reads and writes the times Prisma does, in a process that is not on UTC', async () => {
    expect({ TZ: process.env.TZ, offset: new Date(Date.UTC(2026, 0, 1)).getTimezoneOffset() }).toEqual({ TZ: 'America/New_York', offset: 300 });
    const sql = sqlOf(db);
    const at = new Date('2026-12-24T18:30:00.123Z');
    const viaPrisma = await db.user.create({ data: { email: `tz1-${tag}@example.test`, username: `tz1-${tag}`, createdAt: at } });
    const [read] = await sql<{ createdAt: Date; text: string }>`SELECT created_at AS "createdAt", created_at::text AS text FROM users WHERE id = ${viaPrisma.id}::uuid`;
    expect(read!.createdAt.toISOString()).toBe(at.toISOString());
    expect(read!.text).toBe('2026-12-24 18:30:00.123');
    const [written] = await sql<{ id: string }>`UPDATE users SET created_at = ${new Date('2027-03-01T00:00:00.500Z')} WHERE id = ${viaPrisma.id}::uuid RETURNING id`;
    expect((await db.user.findUniqueOrThrow({ where: { id: written!.id } })).createdAt.toISOString()).toBe('2027-03-01T00:00:00.500Z');
  });

  it('reads a SELECT * row as the Prisma model (modelRow) for the tables the GitLab activities read so', async () => {
    const sql = sqlOf(db);
    // Every kind of column these tables have filled: ints, nullable text, enums, floats, times.
    const user = await db.user.create({ data: { email: `mr-${tag}@example.test`, username: `mr-${tag}`, givenName: 'Ada', isAdmin: true } });
    const org = await db.organization.create({ data: { path: `mr-org-${tag}`, title: 'Org', gitlabUrl: 'https://gitlab.example.test', gitlabParentGroupId: 7, gitlabGroupId: 8, archivedAt: new Date('2026-01-02T03:04:05.678Z') } });
    const family = await db.courseFamily.create({ data: { organizationId: org.id, path: 'mr', title: 'MR', documentsSyncedAt: new Date('2026-02-03T04:05:06.789Z') } });
    const course = await db.course.create({ data: { courseFamilyId: family.id, path: 'mr', title: 'MR', gitlabStudentsGroupId: 9, retentionDays: 30 } });
    const member = await db.courseMember.create({ data: { courseId: course.id, userId: user.id, role: 'student', repositoryProvisioning: 'fallback_copy', timeFactor: 1.5, gitlabProjectId: 10, repositoryLockedAt: new Date('2026-03-04T05:06:07.891Z') } });
    const [u] = await sql`SELECT * FROM users WHERE id = ${user.id}::uuid`;
    const [o] = await sql`SELECT * FROM organizations WHERE id = ${org.id}::uuid`;
    const [f] = await sql`SELECT * FROM course_families WHERE id = ${family.id}::uuid`;
    const [c] = await sql`SELECT * FROM courses WHERE id = ${course.id}::uuid`;
    const [m] = await sql`SELECT * FROM course_members WHERE id = ${member.id}::uuid`;
    expect(modelRow(u!)).toEqual(await db.user.findUniqueOrThrow({ where: { id: user.id } }));
    expect(modelRow(o!)).toEqual(await db.organization.findUniqueOrThrow({ where: { id: org.id } }));
    expect(modelRow(f!)).toEqual(await db.courseFamily.findUniqueOrThrow({ where: { id: family.id } }));
    expect(modelRow(c!)).toEqual(await db.course.findUniqueOrThrow({ where: { id: course.id } }));
    expect(modelRow(m!)).toEqual(await db.courseMember.findUniqueOrThrow({ where: { id: member.id } }));
    // One statement for a join, split by table (the columns of each table in the order selected).
    const [[joinedMember, joinedUser, joinedCourse]] = (await sql.tables`
      SELECT m.*, u.*, c.* FROM course_members m JOIN users u ON u.id = m.user_id JOIN courses c ON c.id = m.course_id WHERE m.id = ${member.id}::uuid`) as [Record<string, unknown>[]];
    expect([modelRow(joinedMember!), modelRow(joinedUser!), modelRow(joinedCourse!)]).toEqual([modelRow(m!), modelRow(u!), modelRow(c!)]);
  });

  it('sends values as parameters, never as SQL', async () => {
    const hostile = `x'); DROP TABLE users; --`;
    const [row] = await sqlOf(db)<{ v: string; n: number }>`SELECT ${hostile}::text AS v, (SELECT count(*)::int FROM users) AS n`;
    expect(row!.v).toBe(hostile);
    expect(row!.n).toBeGreaterThan(0);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const sql = sqlOf(db);
    const user = await db.user.create({ data: { email: `tx-${tag}@example.test`, username: `tx-${tag}` } });
    await sql.transaction(async (tx) => {
      await tx`UPDATE users SET given_name = 'kept' WHERE id = ${user.id}::uuid`;
    });
    await expect(
      sql.transaction(async (tx) => {
        await tx`UPDATE users SET given_name = 'lost' WHERE id = ${user.id}::uuid`;
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).givenName).toBe('kept');
  });
});
