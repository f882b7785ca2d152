-- What produced a result: the hand-in's content hash (and commit), the example version and its
-- content hash, the grader version, the language runtime versions and the workers (staff only).
ALTER TABLE "results" ADD COLUMN "provenance" JSONB;
