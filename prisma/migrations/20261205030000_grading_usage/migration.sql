-- The grading cost of a result: the sandbox time of its collections, counted per course and content.
ALTER TABLE "results" ADD COLUMN "grading_ms" INTEGER;
