import { COURSE_ROLES, roleSatisfies, ZUuid, type TCourseRole } from '@computor/contracts';
import type { Db, Prisma } from '@computor/db';
import type { AuthUser } from '../http/request-context';
import { forbidden, notFound } from '../http/errors';

// The example library's permission rule. An example belongs to the course it was first uploaded
// for (examples.course_id) and is used by every course a content of which has one of its versions
// assigned. Staff of those courses may act on it, each by their role in that course:
//   read (list, versions, files with reference solutions and test.yaml): tutor or higher;
//   write (a new version, verification): lecturer or higher.
// Administrators may do everything. A role in any other course grants nothing.

const rolesFrom = (lowest: TCourseRole) => COURSE_ROLES.filter((r) => roleSatisfies(r, lowest));

/** Examples `user` holds at least `lowest` for (owner course or a using course). */
export function examplesWhere(user: AuthUser, lowest: TCourseRole): Prisma.ExampleWhereInput {
  if (user.isAdmin) return {};
  const staffOf: Prisma.CourseWhereInput = { members: { some: { userId: user.id, removedAt: null, role: { in: rolesFrom(lowest) } } } };
  return { OR: [{ course: staffOf }, { versions: { some: { contents: { some: { course: staffOf } } } } }] };
}

/**
 * Loads an example (by id or identifier) the caller may act on with `need`: 404 when it does not
 * exist or the caller may not read it (existence is not revealed), 403 when they may read but not write.
 */
export async function requireExample(db: Db, user: AuthUser, idOrIdentifier: string, need: 'read' | 'write') {
  const where: Prisma.ExampleWhereInput = ZUuid.safeParse(idOrIdentifier).success ? { id: idOrIdentifier } : { identifier: idOrIdentifier };
  const example = await db.example.findFirst({ where: { AND: [where, examplesWhere(user, 'tutor')] } });
  if (!example) throw notFound('Example');
  if (need === 'write' && !(await db.example.count({ where: { AND: [{ id: example.id }, examplesWhere(user, 'lecturer')] } }))) {
    throw forbidden('Changing this example requires the role lecturer or higher in a course it belongs to or that uses it.');
  }
  return example;
}

/** Identifiers among `identifiers` that exist and that the caller may not write (for uploads of new versions). */
export async function unwritableExamples(db: Pick<Db, 'example'>, user: AuthUser, identifiers: string[]): Promise<string[]> {
  if (user.isAdmin || identifiers.length === 0) return [];
  const existing = await db.example.findMany({ where: { identifier: { in: identifiers } }, select: { identifier: true } });
  if (!existing.length) return [];
  const writable = await db.example.findMany({ where: { AND: [{ identifier: { in: existing.map((e) => e.identifier) } }, examplesWhere(user, 'lecturer')] }, select: { identifier: true } });
  return existing.map((e) => e.identifier).filter((i) => !writable.some((w) => w.identifier === i));
}
