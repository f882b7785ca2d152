import { TUTOR_TEST_PREFIX, TUTOR_TEST_STORAGE_DAYS, type TRetentionResult } from '@computor/contracts';
import { heartbeat } from '@temporalio/activity';
import type { ActivityDeps } from '../deps';
import { step } from '../failures';
import { gitlabForCourse, loadCourse } from '../gitlab/context';

const DAY_MS = 86_400_000;

export function retentionActivities(deps: ActivityDeps) {
  const { db, storage } = deps;

  /** Deletes every tutor test run (its whole folder) whose oldest object predates the cutoff. */
  async function purgeTutorTestRuns(cutoff: Date): Promise<number> {
    const firstSeen = new Map<string, number>();
    for (const o of await storage.list(TUTOR_TEST_PREFIX)) {
      const run = o.key.slice(TUTOR_TEST_PREFIX.length).split('/')[0]!;
      const at = o.lastModified?.getTime() ?? 0;
      firstSeen.set(run, Math.min(at, firstSeen.get(run) ?? at));
    }
    let deleted = 0;
    for (const [run, at] of firstSeen) {
      if (at >= cutoff.getTime()) continue;
      deleted += await storage.deletePrefix(`${TUTOR_TEST_PREFIX}${run}/`);
      heartbeat({ tutorTestRunDeleted: run });
    }
    return deleted;
  }

  return {
    async listCourseMemberIds(input: { courseId: string; role?: 'student' }): Promise<string[]> {
      const members = await db.courseMember.findMany({ where: { courseId: input.courseId, ...(input.role ? { role: input.role } : {}) }, select: { id: true } });
      return members.map((m) => m.id);
    },

    /** Deletes a student's repository in GitLab (gone already counts as done) and forgets it. */
    async deleteStudentRepository(input: { courseId: string; courseMemberId: string }): Promise<boolean> {
      const course = await loadCourse(deps, input.courseId);
      const member = await db.courseMember.findUnique({ where: { id: input.courseMemberId } });
      if (!member?.gitlabProjectId) return false;
      const projectId = member.gitlabProjectId;
      await step(`delete repository ${member.gitlabProjectPath ?? projectId}`, () => gitlabForCourse(deps, course).deleteProject(projectId));
      await db.courseMember.update({
        where: { id: member.id },
        data: { gitlabProjectId: null, gitlabProjectPath: null, gitlabProjectWebUrl: null, gitlabProjectHttpUrl: null, repositoryProvisioning: null },
      });
      return true;
    },

    /** Deletes the course group (GitLab removes its subgroups and projects) and clears its ids. */
    async deleteCourseGroup(input: { courseId: string }): Promise<boolean> {
      const course = await loadCourse(deps, input.courseId);
      if (!course.gitlabGroupId) return false;
      const groupId = course.gitlabGroupId;
      await step(`delete course group ${course.gitlabGroupFullPath ?? groupId}`, () => gitlabForCourse(deps, course).deleteGroup(groupId));
      await db.$transaction([
        db.course.update({
          where: { id: course.id },
          data: {
            gitlabGroupId: null, gitlabGroupFullPath: null, gitlabGroupWebUrl: null,
            gitlabStudentsGroupId: null, gitlabStudentsGroupFullPath: null, gitlabTutorsGroupId: null, gitlabTutorsGroupFullPath: null,
            studentTemplateProjectId: null, studentTemplateProjectPath: null, studentTemplateWebUrl: null, studentTemplateHttpUrl: null,
            assignmentsProjectId: null, assignmentsProjectPath: null, assignmentsWebUrl: null, assignmentsHttpUrl: null,
          },
        }),
        db.courseMember.updateMany({
          where: { courseId: course.id },
          data: { gitlabProjectId: null, gitlabProjectPath: null, gitlabProjectWebUrl: null, gitlabProjectHttpUrl: null, repositoryProvisioning: null },
        }),
      ]);
      return true;
    },

    async markCourseArchived(input: { courseId: string }): Promise<void> {
      await db.course.updateMany({ where: { id: input.courseId, archivedAt: null }, data: { archivedAt: new Date() } });
    },

    /**
     * Deletes submission files and stored reports older than the retention (a course's own
     * retentionDays wins over the default) and marks the rows purged; rows stay for the record.
     * Processes at most `batchSize` of each per call; `more` says whether to call again.
     */
    async purgeExpired(input: { retentionDays: number; batchSize: number; tutorTestMaxAgeSeconds?: number }): Promise<TRetentionResult & { more: boolean }> {
      const now = Date.now();
      // Tutor test runs have no rows: their objects expire by age, here for servers without lifecycle rules.
      let objectsDeleted = await purgeTutorTestRuns(new Date(now - (input.tutorTestMaxAgeSeconds ?? TUTOR_TEST_STORAGE_DAYS * 86_400) * 1000));
      const defaultCutoff = new Date(now - input.retentionDays * DAY_MS);
      const courses = await db.course.findMany({ where: { retentionDays: { not: null } }, select: { id: true, retentionDays: true } });
      // Rows older than the latest cutoff are candidates; each is checked against its course's own.
      const cutoffFor = (courseId: string | undefined) => {
        const own = courses.find((c) => c.id === courseId)?.retentionDays;
        return own ? new Date(now - own * DAY_MS) : defaultCutoff;
      };
      const latestCutoff = new Date(Math.max(defaultCutoff.getTime(), ...courses.map((c) => now - c.retentionDays! * DAY_MS)));

      const artifacts = await db.submissionArtifact.findMany({
        where: { purgedAt: null, createdAt: { lt: latestCutoff } },
        include: { submissionGroup: { select: { courseContent: { select: { courseId: true } } } } },
        orderBy: { createdAt: 'asc' },
        take: input.batchSize,
      });
      let artifactsPurged = 0;
      for (const a of artifacts) {
        if (a.createdAt >= cutoffFor(a.submissionGroup.courseContent.courseId)) continue;
        objectsDeleted += await storage.deletePrefix(a.objectPrefix);
        await db.submissionArtifact.update({ where: { id: a.id }, data: { purgedAt: new Date() } });
        artifactsPurged++;
        heartbeat({ artifactsPurged });
      }

      const results = await db.result.findMany({
        where: { purgedAt: null, reportKey: { not: null }, createdAt: { lt: latestCutoff } },
        include: { courseContent: { select: { courseId: true } } },
        orderBy: { createdAt: 'asc' },
        take: input.batchSize,
      });
      let reportsPurged = 0;
      for (const r of results) {
        if (r.createdAt >= cutoffFor(r.courseContent.courseId)) continue;
        // Reports live under their key's folder (report.json; results graded before 2026-12-08 also testSummary.json).
        objectsDeleted += await storage.deletePrefix(r.reportKey!.replace(/[^/]+$/, ''));
        await db.result.update({ where: { id: r.id }, data: { purgedAt: new Date() } });
        reportsPurged++;
        heartbeat({ reportsPurged });
      }
      // Another round only when this one made progress on a full batch (skipped rows would loop forever).
      const more = (artifactsPurged > 0 && artifacts.length === input.batchSize) || (reportsPurged > 0 && results.length === input.batchSize);
      return { artifactsPurged, reportsPurged, objectsDeleted, more };
    },
  };
}
