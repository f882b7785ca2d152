-- What each grading worker can grade: per language its runtime version and canary outcome,
-- written by the worker at start (computor worker status reads it beside Temporal's pollers).
CREATE TABLE "grader_workers" (
    "identity" TEXT NOT NULL,
    "languages" JSONB NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "grader_workers_pkey" PRIMARY KEY ("identity")
);

CREATE INDEX "grader_workers_updated_at_idx" ON "grader_workers"("updated_at");
