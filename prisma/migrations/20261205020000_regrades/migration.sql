-- Regrades: a batch over one content's final or latest hand-ins, previewed by staff, then published
-- or discarded. Its results carry regrade_id and stay staff-only until published.
CREATE TYPE "regrade_mode" AS ENUM ('rescore', 'rerun');
CREATE TYPE "regrade_status" AS ENUM ('running', 'preview', 'published', 'discarded', 'cancelled', 'failed');

CREATE TABLE "regrades" (
    "id" UUID NOT NULL,
    "course_content_id" UUID NOT NULL,
    "mode" "regrade_mode" NOT NULL,
    "target" TEXT NOT NULL,
    "status" "regrade_status" NOT NULL DEFAULT 'running',
    "workflow_id" TEXT NOT NULL,
    "total" INTEGER NOT NULL DEFAULT 0,
    "done" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "message" TEXT,
    "created_by_id" UUID NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),
    "published_at" TIMESTAMP(3),
    CONSTRAINT "regrades_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "regrades_workflow_id_key" ON "regrades" ("workflow_id");
CREATE INDEX "regrades_course_content_id_created_at_idx" ON "regrades" ("course_content_id", "created_at");
ALTER TABLE "regrades" ADD CONSTRAINT "regrades_course_content_id_fkey" FOREIGN KEY ("course_content_id") REFERENCES "course_contents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "results" ADD COLUMN "regrade_id" UUID;
CREATE INDEX "results_regrade_id_idx" ON "results" ("regrade_id");
ALTER TABLE "results" ADD CONSTRAINT "results_regrade_id_fkey" FOREIGN KEY ("regrade_id") REFERENCES "regrades"("id") ON DELETE CASCADE ON UPDATE CASCADE;
