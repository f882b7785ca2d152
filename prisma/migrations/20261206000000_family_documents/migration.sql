-- The documents repository: each course family's `documents` project in GitLab, its push hook and
-- token, the synced commit, and the manifest of published files (content-addressed blobs).
ALTER TABLE "course_families"
  ADD COLUMN "documents_project_id" INTEGER,
  ADD COLUMN "documents_project_path" TEXT,
  ADD COLUMN "documents_web_url" TEXT,
  ADD COLUMN "documents_hook_id" INTEGER,
  ADD COLUMN "documents_commit_sha" TEXT,
  ADD COLUMN "documents_synced_at" TIMESTAMP(3),
  ADD COLUMN "gitlab_hook_token_hash" TEXT,
  ADD COLUMN "gitlab_hook_token_encrypted" TEXT;
-- The push hook names the project (ids are unique per GitLab instance only: the token decides).
CREATE INDEX "course_families_documents_project_id_idx" ON "course_families"("documents_project_id");

CREATE TABLE "family_documents" (
    "course_family_id" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "content_type" TEXT NOT NULL,
    "commit_sha" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "family_documents_pkey" PRIMARY KEY ("course_family_id","path")
);
CREATE INDEX "family_documents_course_family_id_sha256_idx" ON "family_documents"("course_family_id", "sha256");
ALTER TABLE "family_documents" ADD CONSTRAINT "family_documents_course_family_id_fkey" FOREIGN KEY ("course_family_id") REFERENCES "course_families"("id") ON DELETE CASCADE ON UPDATE CASCADE;
