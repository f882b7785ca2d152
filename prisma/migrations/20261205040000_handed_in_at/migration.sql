-- When a hand-in was made, not when it was stored: fetches finish, and GitLab delivers hooks, out
-- of order in a burst, and a student's newest push must supersede the older ones, never the
-- reverse. For a push it is the commit's time, never later than the push's arrival (a commit date
-- is the student's to set, the late flag stays with the arrival).
ALTER TABLE "submission_artifacts" ADD COLUMN "handed_in_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
UPDATE "submission_artifacts" SET "handed_in_at" = "created_at";
CREATE INDEX "submission_artifacts_submission_group_id_handed_in_at_idx" ON "submission_artifacts"("submission_group_id", "handed_in_at");
