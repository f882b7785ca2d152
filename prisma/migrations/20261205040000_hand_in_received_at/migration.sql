-- When a hand-in arrived (the push or request), not when it was stored: fetches finish out of
-- order in a burst, and the newest push must supersede the older ones, never the reverse.
ALTER TABLE "submission_artifacts" ADD COLUMN "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
UPDATE "submission_artifacts" SET "received_at" = "created_at";
CREATE INDEX "submission_artifacts_submission_group_id_received_at_idx" ON "submission_artifacts"("submission_group_id", "received_at");
