-- The student's repository as the hand-in: commit and push hand-ins, the course's push-hook token,
-- queue places and superseding of still-queued results.
CREATE TYPE "hand_in_source" AS ENUM ('upload', 'commit', 'push');
ALTER TYPE "result_status" ADD VALUE 'superseded';

ALTER TABLE "courses" ADD COLUMN "gitlab_hook_token_hash" TEXT, ADD COLUMN "gitlab_hook_token_encrypted" TEXT;
ALTER TABLE "course_members" ADD COLUMN "gitlab_hook_id" INTEGER;

ALTER TABLE "submission_artifacts" ADD COLUMN "source" "hand_in_source" NOT NULL DEFAULT 'upload';
-- One hand-in per group and commit for commits and pushes (redelivered hooks, repeated requests).
CREATE UNIQUE INDEX "submission_artifacts_group_commit_key" ON "submission_artifacts" ("submission_group_id", "commit_sha") WHERE "source" <> 'upload';

ALTER TABLE "results" ALTER COLUMN "workflow_id" DROP NOT NULL;
ALTER TABLE "results" ADD COLUMN "queued_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, ADD COLUMN "superseded_by_id" UUID;
UPDATE "results" SET "queued_at" = "created_at";
CREATE INDEX "results_status_queued_at_idx" ON "results" ("status", "queued_at");
