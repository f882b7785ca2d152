-- Deadlines: release/due/cut-off and late policy per content, per-student extensions and time factor,
-- late hand-ins, the repository lock, and what the deadline workflow did per student and content
-- (closed at the due time with the final hand-in, reopened).
CREATE TYPE "late_policy" AS ENUM ('accept', 'reject');

ALTER TABLE "course_contents"
  ADD COLUMN "release_at" TIMESTAMP(3),
  ADD COLUMN "due_at" TIMESTAMP(3),
  ADD COLUMN "late_until" TIMESTAMP(3),
  ADD COLUMN "late_policy" "late_policy" NOT NULL DEFAULT 'accept';
ALTER TABLE "course_members" ADD COLUMN "time_factor" DOUBLE PRECISION, ADD COLUMN "repository_locked_at" TIMESTAMP(3);
ALTER TABLE "submission_artifacts" ADD COLUMN "late" BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX "course_members_gitlab_project_id_idx" ON "course_members" ("gitlab_project_id");

CREATE TABLE "deadline_extensions" (
    "id" UUID NOT NULL,
    "course_content_id" UUID NOT NULL,
    "course_member_id" UUID NOT NULL,
    "due_at" TIMESTAMP(3) NOT NULL,
    "late_until" TIMESTAMP(3),
    "created_by_id" UUID NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "deadline_extensions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "deadline_extensions_course_content_id_course_member_id_key" ON "deadline_extensions" ("course_content_id", "course_member_id");
ALTER TABLE "deadline_extensions" ADD CONSTRAINT "deadline_extensions_course_content_id_fkey" FOREIGN KEY ("course_content_id") REFERENCES "course_contents"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "deadline_extensions" ADD CONSTRAINT "deadline_extensions_course_member_id_fkey" FOREIGN KEY ("course_member_id") REFERENCES "course_members"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "deadline_states" (
    "course_content_id" UUID NOT NULL,
    "course_member_id" UUID NOT NULL,
    "due_at" TIMESTAMP(3) NOT NULL,
    "closed_at" TIMESTAMP(3),
    "reopened_at" TIMESTAMP(3),
    "final_artifact_id" UUID,
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "deadline_states_pkey" PRIMARY KEY ("course_content_id", "course_member_id")
);
ALTER TABLE "deadline_states" ADD CONSTRAINT "deadline_states_course_content_id_fkey" FOREIGN KEY ("course_content_id") REFERENCES "course_contents"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "deadline_states" ADD CONSTRAINT "deadline_states_course_member_id_fkey" FOREIGN KEY ("course_member_id") REFERENCES "course_members"("id") ON DELETE CASCADE ON UPDATE CASCADE;
