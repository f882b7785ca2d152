-- The paths of a hand-in's files, as stored under its object prefix: grading downloads them by
-- name instead of listing the prefix first (one S3 request fewer per test run). Rows from before
-- keep an empty list, which means "list the prefix".
ALTER TABLE "submission_artifacts" ADD COLUMN "file_paths" TEXT[] DEFAULT ARRAY[]::TEXT[];
