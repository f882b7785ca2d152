import { randomUUID } from 'node:crypto';
import { createCourseFixture, uniq, type CourseFixture } from '@computor/test-support';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import type { ApiDeps } from './deps';
import { buildOpenApiDocument } from './openapi/document';
import { startApiHarness, type ApiHarness } from './test/api-harness';

// The gradebook (issue 14.6) against PostgreSQL: exact cells of a small course (a closed deadline
// with its recorded final hand-in, late-only, none, CSV quoting and injection), and the timing of
// a 1,000 students x 50 contents course built with createMany.

jest.setTimeout(300_000);

let harness: ApiHarness;
let deps: ApiDeps;

beforeAll(async () => {
  harness = await startApiHarness();
  ({ deps } = harness);
});

afterAll(async () => {
  await harness?.close();
});

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
// Hand-in times a day back (minutes apart): recent, so that retention (30 days in its test) leaves
// these 90,000 rows alone whenever the suites run.
const DAY_AGO = Date.now() - 86_400_000;
const at = (minutes: number) => new Date(DAY_AGO + minutes * 60_000);

async function exampleVersion(courseId: string): Promise<string> {
  const example = await deps.db.example.create({ data: { identifier: uniq('gradebook.ex.'), title: 'Gradebook', courseId } });
  const version = await deps.db.exampleVersion.create({ data: { exampleId: example.id, versionTag: '1.0', contentHash: 'h', objectPrefix: 'examples/x/', fileCount: 1, totalBytes: 1, meta: {} } });
  return version.id;
}

async function student(courseId: string, username: string, names: { given?: string; family?: string } = {}) {
  const user = await deps.db.user.create({ data: { email: `${uniq('gb-')}@example.test`, username, givenName: names.given ?? null, familyName: names.family ?? null } });
  const member = await deps.db.courseMember.create({ data: { courseId, userId: user.id, role: 'student' } });
  return { userId: user.id, memberId: member.id, username };
}

/** A group of the member for the content with hand-ins `{late, minute, results: [[status, score, minute]]}`; their ids in order. */
async function handIns(contentId: string, s: { userId: string; memberId: string }, artifacts: Array<{ late?: boolean; minute: number; results?: Array<['completed' | 'failed' | 'pending', number | null, number]> }>) {
  const group = await deps.db.submissionGroup.create({ data: { courseContentId: contentId, members: { create: { courseMemberId: s.memberId } } } });
  const ids: string[] = [];
  for (const a of artifacts) {
    const artifact = await deps.db.submissionArtifact.create({
      data: { submissionGroupId: group.id, uploadedById: s.userId, late: a.late ?? false, objectPrefix: 'submissions/x/', contentHash: 'c', fileCount: 1, totalBytes: 1, createdAt: at(a.minute) },
    });
    for (const [status, score, minute] of a.results ?? []) {
      await deps.db.result.create({ data: { artifactId: artifact.id, submissionGroupId: group.id, courseContentId: contentId, status, score, createdAt: at(minute) } });
    }
    ids.push(artifact.id);
  }
  return ids;
}

describe('GET /courses/:id/gradebook', () => {
  let course: CourseFixture;
  let expectedJson: unknown;
  let expectedCsv: string;

  beforeAll(async () => {
    course = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1 });
    const courseId = course.courseId;
    const versionId = await exampleVersion(courseId);
    const content = (path: string, position: number, extra: Record<string, unknown> = {}) =>
      deps.db.courseContent.create({ data: { courseId, path, title: `Title ${path}`, position, exampleVersionId: versionId, ...extra } });
    // Order: position, then path: p0 (0), a (1), b (1). Archived and unassigned contents have no column.
    const b = await content('b', 1);
    const a = await content('p0', 0);
    const c = await content('a', 1);
    await content('archived', 0.5, { archivedAt: new Date() });
    await content('no_example', 0.5, { exampleVersionId: null });

    const tag = uniq('');
    const closed = await student(courseId, `gb-closed-${tag}`, { given: 'Clara', family: 'Closed' });
    const lateOnly = await student(courseId, `gb-late-${tag}`);
    const none = await student(courseId, `gb-none-${tag}`);
    const evil = await student(courseId, `=cmd,"x"-${tag}`, { given: '+SUM(1)', family: '@evil\nname' });
    const removed = await student(courseId, `gb-removed-${tag}`);
    await deps.db.courseMember.update({ where: { id: removed.memberId }, data: { removedAt: new Date() } });
    await handIns(a.id, removed, [{ minute: 1, results: [['completed', 1, 2]] }]);

    // Closed deadline: its recorded final hand-in counts (the first one, not the latest on time);
    // the newest *completed* result of it scores (a newer failed one does not).
    const [first] = await handIns(a.id, closed, [
      { minute: 1, results: [['completed', 0.2, 2], ['completed', 0.5, 3], ['failed', null, 4]] },
      { minute: 5, results: [['completed', 1, 6]] },
      { late: true, minute: 7, results: [['completed', 1, 8]] },
    ]);
    await deps.db.deadlineState.create({ data: { courseContentId: a.id, courseMemberId: closed.memberId, dueAt: at(4), closedAt: at(4), finalArtifactId: first } });
    // Closed with none on time: no final hand-in, although a late one exists.
    await handIns(c.id, closed, [{ late: true, minute: 9, results: [['completed', 0.9, 10]] }]);
    await deps.db.deadlineState.create({ data: { courseContentId: c.id, courseMemberId: closed.memberId, dueAt: at(4), closedAt: at(4), finalArtifactId: null } });
    // Not closed (a state without closedAt): the latest on-time hand-in, here not graded yet.
    const [, latestOnTime] = await handIns(b.id, closed, [{ minute: 1, results: [['completed', 1, 2]] }, { minute: 3, results: [['pending', null, 4]] }, { late: true, minute: 5, results: [['completed', 1, 6]] }]);
    await deps.db.deadlineState.create({ data: { courseContentId: b.id, courseMemberId: closed.memberId, dueAt: at(30) } });

    const [, lateLatest] = await handIns(a.id, lateOnly, [{ late: true, minute: 1, results: [['completed', 0.25, 2]] }, { late: true, minute: 3, results: [['completed', 0.75, 4]] }]);
    await handIns(b.id, none, []);
    const [evilFinal] = await handIns(a.id, evil, [{ minute: 1, results: [['completed', 1, 2]] }]);

    const cell = (final_submission_id: string | null, score: number | null, late: boolean | null, hand_ins: number) => ({ final_submission_id, score, late, hand_ins });
    const empty = cell(null, null, null, 0);
    const rows = [
      { s: closed, given: 'Clara', family: 'Closed', grades: [cell(first!, 0.5, false, 3), cell(null, null, null, 1), cell(latestOnTime!, null, false, 3)] },
      { s: lateOnly, given: null, family: null, grades: [cell(lateLatest!, 0.75, true, 2), empty, empty] },
      { s: none, given: null, family: null, grades: [empty, empty, empty] },
      { s: evil, given: '+SUM(1)', family: '@evil\nname', grades: [cell(evilFinal!, 1, false, 1), empty, empty] },
      // The fixture's own student, without hand-ins.
      { s: { memberId: course.users.student!.memberId!, userId: course.users.student!.id, username: course.users.student!.username }, given: null, family: null, grades: [empty, empty, empty] },
    ].sort((x, y) => (x.s.username < y.s.username ? -1 : 1));
    expectedJson = {
      contents: [
        { course_content_id: a.id, path: 'p0', title: 'Title p0', position: 0 },
        { course_content_id: c.id, path: 'a', title: 'Title a', position: 1 },
        { course_content_id: b.id, path: 'b', title: 'Title b', position: 1 },
      ],
      students: rows.map((r) => ({ course_member_id: r.s.memberId, user_id: r.s.userId, username: r.s.username, given_name: r.given, family_name: r.family, grades: r.grades })),
    };
    const text = (v: string | null) => (v === null ? '' : v === evil.username ? `"'=cmd,""x""-${tag}"` : v === '+SUM(1)' ? "'+SUM(1)" : v === '@evil\nname' ? `"'@evil\nname"` : v);
    const csvCells = (g: ReturnType<typeof cell>) => [g.score === null ? '' : String(g.score), g.late === null ? '' : String(g.late), String(g.hand_ins)];
    expectedCsv =
      [
        'username,given_name,family_name,course_member_id,p0 score,p0 late,p0 hand_ins,a score,a late,a hand_ins,b score,b late,b hand_ins',
        ...rows.map((r) => [text(r.s.username), text(r.given), text(r.family), r.s.memberId, ...r.grades.flatMap(csvCells)].join(',')),
      ].join('\r\n') + '\r\n';
  });

  it('answers JSON with the exact cells, in the documented shape', async () => {
    const res = await request(harness.app).get(`/courses/${course.courseId}/gradebook`).set(auth(course.users.tutor!.token));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.body).toEqual(expectedJson);
    const document = buildOpenApiDocument() as any;
    const schema = document.paths['/courses/{id}/gradebook'].get.responses['200'].content['application/json'].schema;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect([validate(res.body), ajv.errorsText(validate.errors)]).toEqual([true, 'No errors']);
  });

  it('answers CSV for ?format=csv and for Accept: text/csv: header, RFC 4180 quoting, neutralised formulas', async () => {
    const byQuery = await request(harness.app).get(`/courses/${course.courseId}/gradebook?format=csv`).set(auth(course.users.lecturer!.token));
    expect(byQuery.status).toBe(200);
    expect(byQuery.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(byQuery.headers['content-disposition']).toMatch(/^attachment; filename="gradebook-[A-Za-z0-9._-]+\.csv"$/);
    expect(byQuery.text).toBe(expectedCsv);
    const byAccept = await request(harness.app).get(`/courses/${course.courseId}/gradebook`).set(auth(course.users.admin!.token)).set('Accept', 'text/csv');
    expect(byAccept.status).toBe(200);
    expect(byAccept.text).toBe(expectedCsv);
  });

  it('refuses students (403), outsiders (404) and unknown query parameters (400)', async () => {
    const url = `/courses/${course.courseId}/gradebook`;
    expect((await request(harness.app).get(url).set(auth(course.users.student!.token))).status).toBe(403);
    expect((await request(harness.app).get(url).set(auth(course.users.outsider!.token))).status).toBe(404);
    expect((await request(harness.app).get(`${url}?format=xlsx`).set(auth(course.users.tutor!.token))).status).toBe(400);
    expect((await request(harness.app).get(`${url}?page=2`).set(auth(course.users.tutor!.token))).status).toBe(400);
  });

  it('is a header row and an empty list for a course without students or graded contents', async () => {
    const empty = await createCourseFixture(deps.db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1, roles: ['tutor'] });
    const res = await request(harness.app).get(`/courses/${empty.courseId}/gradebook`).set(auth(empty.users.tutor!.token));
    expect(res.body).toEqual({ contents: [], students: [] });
    const csv = await request(harness.app).get(`/courses/${empty.courseId}/gradebook?format=csv`).set(auth(empty.users.tutor!.token));
    expect(csv.text).toBe('username,given_name,family_name,course_member_id\r\n');
  });
});

describe('a course of 1,000 students x 50 contents', () => {
  const STUDENTS = 1000;
  const CONTENTS = 50;
  let course: CourseFixture;
  let cells = 0;

  /** createMany in chunks below PostgreSQL's bind-parameter limit. */
  async function createInChunks<T>(rows: T[], create: (chunk: T[]) => Promise<unknown>) {
    for (let i = 0; i < rows.length; i += 5000) await create(rows.slice(i, i + 5000));
  }

  beforeAll(async () => {
    const started = Date.now();
    const db = deps.db;
    course = await createCourseFixture(db, { gitlabUrl: 'http://127.0.0.1:9', parentGroupId: 1, roles: ['lecturer'] });
    const versionId = await exampleVersion(course.courseId);
    const tag = uniq('');
    const users = Array.from({ length: STUDENTS }, (_, i) => ({ id: randomUUID(), email: `gb-${tag}-${i}@example.test`, username: `gb-${tag}-${String(i).padStart(4, '0')}` }));
    await createInChunks(users, (data) => db.user.createMany({ data }));
    const members = users.map((u) => ({ id: randomUUID(), courseId: course.courseId, userId: u.id, role: 'student' as const }));
    await createInChunks(members, (data) => db.courseMember.createMany({ data }));
    const contentRows = Array.from({ length: CONTENTS }, (_, i) => ({ id: randomUUID(), courseId: course.courseId, path: `week${i}`, title: `Week ${i}`, position: i, exampleVersionId: versionId }));
    await db.courseContent.createMany({ data: contentRows });

    const groups: Array<{ id: string; courseContentId: string }> = [];
    const groupMembers: Array<{ submissionGroupId: string; courseMemberId: string }> = [];
    const artifacts: Array<{ id: string; submissionGroupId: string; uploadedById: string; late: boolean; objectPrefix: string; contentHash: string; fileCount: number; totalBytes: number; createdAt: Date }> = [];
    const results: Array<{ artifactId: string; submissionGroupId: string; courseContentId: string; status: 'completed' | 'failed'; score: number | null; createdAt: Date }> = [];
    members.forEach((m, i) => {
      contentRows.forEach((c, j) => {
        // Most cells: 9 in 10 have a group with 1-3 hand-ins, every 7th a late one last.
        if ((i + j) % 10 === 0) return;
        cells += 1;
        const group = { id: randomUUID(), courseContentId: c.id };
        groups.push(group);
        groupMembers.push({ submissionGroupId: group.id, courseMemberId: m.id });
        const count = 1 + ((i * 7 + j) % 3);
        for (let k = 0; k < count; k++) {
          const artifact = { id: randomUUID(), submissionGroupId: group.id, uploadedById: m.userId, late: k === count - 1 && (i + j) % 7 === 0, objectPrefix: 'submissions/x/', contentHash: 'c', fileCount: 1, totalBytes: 1, createdAt: at(k * 10) };
          artifacts.push(artifact);
          results.push({ artifactId: artifact.id, submissionGroupId: group.id, courseContentId: c.id, status: k % 4 === 3 ? 'failed' : 'completed', score: k % 4 === 3 ? null : ((i + j + k) % 11) / 10, createdAt: at(k * 10 + 1) });
        }
      });
    });
    await createInChunks(groups, (data) => db.submissionGroup.createMany({ data }));
    await createInChunks(groupMembers, (data) => db.submissionGroupMember.createMany({ data }));
    await createInChunks(artifacts, (data) => db.submissionArtifact.createMany({ data }));
    await createInChunks(results, (data) => db.result.createMany({ data }));
    console.log(`gradebook fixture: ${STUDENTS} students x ${CONTENTS} contents, ${groups.length} groups, ${artifacts.length} hand-ins, ${results.length} results in ${Date.now() - started} ms`);
  });

  it('streams CSV and JSON within a generous bound (the real figures are printed)', async () => {
    const url = `/courses/${course.courseId}/gradebook`;
    const token = course.users.lecturer!.token;
    // One warm-up, so that the figures are the route's, not the first query plan's.
    await request(harness.app).get(`${url}?format=csv`).set(auth(token));
    const timings: Record<string, number[]> = { csv: [], json: [] };
    for (let round = 0; round < 3; round++) {
      let t = Date.now();
      const csv = await request(harness.app).get(`${url}?format=csv`).set(auth(token));
      timings.csv!.push(Date.now() - t);
      expect(csv.status).toBe(200);
      expect(csv.headers['transfer-encoding']).toBe('chunked');
      const lines = csv.text.split('\r\n');
      expect(lines).toHaveLength(STUDENTS + 2);
      expect(lines[0]!.split(',')).toHaveLength(4 + 3 * CONTENTS);

      t = Date.now();
      const json = await request(harness.app).get(url).set(auth(token));
      timings.json!.push(Date.now() - t);
      expect(json.status).toBe(200);
      expect(json.headers['transfer-encoding']).toBe('chunked');
      expect(json.body.contents).toHaveLength(CONTENTS);
      expect(json.body.students).toHaveLength(STUDENTS);
      const filled = (json.body.students as Array<{ grades: Array<{ hand_ins: number }> }>).reduce((n, s) => n + s.grades.filter((g) => g.hand_ins > 0).length, 0);
      expect(filled).toBe(cells);
      expect(csv.text.length).toBeGreaterThan(100_000);
    }
    console.log(`gradebook ${STUDENTS} x ${CONTENTS}: csv ${timings.csv!.join(', ')} ms; json ${timings.json!.join(', ')} ms`);
    for (const ms of [...timings.csv!, ...timings.json!]) expect(ms).toBeLessThan(10_000);
  });
});
