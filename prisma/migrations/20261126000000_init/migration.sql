-- CreateEnum
CREATE TYPE "course_role" AS ENUM ('owner', 'maintainer', 'lecturer', 'tutor', 'student');

-- CreateEnum
CREATE TYPE "repository_provisioning" AS ENUM ('fork', 'fallback_copy');

-- CreateEnum
CREATE TYPE "verification_status" AS ENUM ('unverified', 'verifying', 'verified', 'failed');

-- CreateEnum
CREATE TYPE "deployment_status" AS ENUM ('pending', 'deploying', 'deployed', 'failed');

-- CreateEnum
CREATE TYPE "result_status" AS ENUM ('pending', 'running', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "workflow_run_status" AS ENUM ('running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out');

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "given_name" TEXT,
    "family_name" TEXT,
    "is_admin" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "gitlab_identities" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "gitlab_url" TEXT NOT NULL,
    "gitlab_user_id" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "gitlab_identities_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_tokens" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMP(3),
    "expires_at" TIMESTAMP(3),
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "api_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "organizations" (
    "id" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "gitlab_url" TEXT NOT NULL,
    "gitlab_parent_group_id" INTEGER NOT NULL,
    "gitlab_token_ref" TEXT,
    "gitlab_token_encrypted" TEXT,
    "gitlab_group_id" INTEGER,
    "gitlab_group_full_path" TEXT,
    "gitlab_group_web_url" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "archived_at" TIMESTAMP(3),

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "course_families" (
    "id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "gitlab_group_id" INTEGER,
    "gitlab_group_full_path" TEXT,
    "gitlab_group_web_url" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "course_families_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "courses" (
    "id" UUID NOT NULL,
    "course_family_id" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "gitlab_group_id" INTEGER,
    "gitlab_group_full_path" TEXT,
    "gitlab_group_web_url" TEXT,
    "gitlab_students_group_id" INTEGER,
    "gitlab_students_group_full_path" TEXT,
    "gitlab_tutors_group_id" INTEGER,
    "gitlab_tutors_group_full_path" TEXT,
    "student_template_project_id" INTEGER,
    "student_template_project_path" TEXT,
    "student_template_web_url" TEXT,
    "student_template_http_url" TEXT,
    "assignments_project_id" INTEGER,
    "assignments_project_path" TEXT,
    "assignments_web_url" TEXT,
    "assignments_http_url" TEXT,
    "retention_days" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "archived_at" TIMESTAMP(3),

    CONSTRAINT "courses_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "course_groups" (
    "id" UUID NOT NULL,
    "course_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "course_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "course_members" (
    "id" UUID NOT NULL,
    "course_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "role" "course_role" NOT NULL,
    "course_group_id" UUID,
    "gitlab_project_id" INTEGER,
    "gitlab_project_path" TEXT,
    "gitlab_project_web_url" TEXT,
    "gitlab_project_http_url" TEXT,
    "repository_provisioning" "repository_provisioning",
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "removed_at" TIMESTAMP(3),

    CONSTRAINT "course_members_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "examples" (
    "id" UUID NOT NULL,
    "identifier" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "examples_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "example_versions" (
    "id" UUID NOT NULL,
    "example_id" UUID NOT NULL,
    "version_tag" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "object_prefix" TEXT NOT NULL,
    "file_count" INTEGER NOT NULL,
    "total_bytes" INTEGER NOT NULL,
    "meta" JSONB NOT NULL,
    "verification_status" "verification_status" NOT NULL DEFAULT 'unverified',
    "verification_report" JSONB,
    "verified_at" TIMESTAMP(3),
    "created_by_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "example_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "course_contents" (
    "id" UUID NOT NULL,
    "course_id" UUID NOT NULL,
    "path" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "position" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "directory" TEXT,
    "example_version_id" UUID,
    "max_test_runs" INTEGER,
    "max_group_size" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "archived_at" TIMESTAMP(3),

    CONSTRAINT "course_contents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployments" (
    "id" UUID NOT NULL,
    "course_content_id" UUID NOT NULL,
    "example_version_id" UUID NOT NULL,
    "status" "deployment_status" NOT NULL DEFAULT 'pending',
    "template_commit_sha" TEXT,
    "assignments_commit_sha" TEXT,
    "message" TEXT,
    "deployed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "deployments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_history" (
    "id" UUID NOT NULL,
    "deployment_id" UUID NOT NULL,
    "from_status" "deployment_status",
    "to_status" "deployment_status" NOT NULL,
    "commit_sha" TEXT,
    "workflow_id" TEXT,
    "message" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "submission_groups" (
    "id" UUID NOT NULL,
    "course_content_id" UUID NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "submission_groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "submission_group_members" (
    "id" UUID NOT NULL,
    "submission_group_id" UUID NOT NULL,
    "course_member_id" UUID NOT NULL,

    CONSTRAINT "submission_group_members_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "submission_artifacts" (
    "id" UUID NOT NULL,
    "submission_group_id" UUID NOT NULL,
    "uploaded_by_id" UUID NOT NULL,
    "commit_sha" TEXT,
    "object_prefix" TEXT NOT NULL,
    "content_hash" TEXT NOT NULL,
    "file_count" INTEGER NOT NULL,
    "total_bytes" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "purged_at" TIMESTAMP(3),

    CONSTRAINT "submission_artifacts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "results" (
    "id" UUID NOT NULL,
    "artifact_id" UUID NOT NULL,
    "submission_group_id" UUID NOT NULL,
    "course_content_id" UUID NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "status" "result_status" NOT NULL DEFAULT 'pending',
    "score" DOUBLE PRECISION,
    "passed" BOOLEAN,
    "checks_total" INTEGER,
    "checks_passed" INTEGER,
    "checks_failed" INTEGER,
    "checks_skipped" INTEGER,
    "report_key" TEXT,
    "summary" JSONB,
    "message" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMP(3),
    "finished_at" TIMESTAMP(3),
    "purged_at" TIMESTAMP(3),

    CONSTRAINT "results_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workflow_runs" (
    "id" TEXT NOT NULL,
    "run_id" TEXT,
    "type" TEXT NOT NULL,
    "task_queue" TEXT NOT NULL,
    "requested_by_id" UUID,
    "course_id" UUID,
    "status" "workflow_run_status" NOT NULL DEFAULT 'running',
    "failure_message" TEXT,
    "started_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closed_at" TIMESTAMP(3),

    CONSTRAINT "workflow_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");

-- CreateIndex
CREATE UNIQUE INDEX "gitlab_identities_user_id_gitlab_url_key" ON "gitlab_identities"("user_id", "gitlab_url");

-- CreateIndex
CREATE UNIQUE INDEX "gitlab_identities_gitlab_url_gitlab_user_id_key" ON "gitlab_identities"("gitlab_url", "gitlab_user_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "api_tokens_user_id_idx" ON "api_tokens"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "organizations_path_key" ON "organizations"("path");

-- CreateIndex
CREATE UNIQUE INDEX "course_families_organization_id_path_key" ON "course_families"("organization_id", "path");

-- CreateIndex
CREATE UNIQUE INDEX "courses_course_family_id_path_key" ON "courses"("course_family_id", "path");

-- CreateIndex
CREATE UNIQUE INDEX "course_groups_course_id_title_key" ON "course_groups"("course_id", "title");

-- CreateIndex
CREATE INDEX "course_members_user_id_idx" ON "course_members"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "course_members_course_id_user_id_key" ON "course_members"("course_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "examples_identifier_key" ON "examples"("identifier");

-- CreateIndex
CREATE UNIQUE INDEX "example_versions_example_id_version_tag_key" ON "example_versions"("example_id", "version_tag");

-- CreateIndex
CREATE UNIQUE INDEX "course_contents_course_id_path_key" ON "course_contents"("course_id", "path");

-- CreateIndex
CREATE UNIQUE INDEX "deployments_course_content_id_key" ON "deployments"("course_content_id");

-- CreateIndex
CREATE INDEX "deployment_history_deployment_id_created_at_idx" ON "deployment_history"("deployment_id", "created_at");

-- CreateIndex
CREATE INDEX "submission_group_members_course_member_id_idx" ON "submission_group_members"("course_member_id");

-- CreateIndex
CREATE UNIQUE INDEX "submission_group_members_submission_group_id_course_member__key" ON "submission_group_members"("submission_group_id", "course_member_id");

-- CreateIndex
CREATE INDEX "submission_artifacts_submission_group_id_created_at_idx" ON "submission_artifacts"("submission_group_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "results_workflow_id_key" ON "results"("workflow_id");

-- CreateIndex
CREATE INDEX "results_submission_group_id_course_content_id_idx" ON "results"("submission_group_id", "course_content_id");

-- CreateIndex
CREATE INDEX "results_artifact_id_idx" ON "results"("artifact_id");

-- CreateIndex
CREATE INDEX "workflow_runs_course_id_started_at_idx" ON "workflow_runs"("course_id", "started_at");

-- CreateIndex
CREATE INDEX "workflow_runs_requested_by_id_started_at_idx" ON "workflow_runs"("requested_by_id", "started_at");

-- CreateIndex
CREATE INDEX "workflow_runs_type_status_idx" ON "workflow_runs"("type", "status");

-- AddForeignKey
ALTER TABLE "gitlab_identities" ADD CONSTRAINT "gitlab_identities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_families" ADD CONSTRAINT "course_families_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "courses" ADD CONSTRAINT "courses_course_family_id_fkey" FOREIGN KEY ("course_family_id") REFERENCES "course_families"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_groups" ADD CONSTRAINT "course_groups_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_members" ADD CONSTRAINT "course_members_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_members" ADD CONSTRAINT "course_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_members" ADD CONSTRAINT "course_members_course_group_id_fkey" FOREIGN KEY ("course_group_id") REFERENCES "course_groups"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "example_versions" ADD CONSTRAINT "example_versions_example_id_fkey" FOREIGN KEY ("example_id") REFERENCES "examples"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_contents" ADD CONSTRAINT "course_contents_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "course_contents" ADD CONSTRAINT "course_contents_example_version_id_fkey" FOREIGN KEY ("example_version_id") REFERENCES "example_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_course_content_id_fkey" FOREIGN KEY ("course_content_id") REFERENCES "course_contents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_example_version_id_fkey" FOREIGN KEY ("example_version_id") REFERENCES "example_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deployment_history" ADD CONSTRAINT "deployment_history_deployment_id_fkey" FOREIGN KEY ("deployment_id") REFERENCES "deployments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submission_groups" ADD CONSTRAINT "submission_groups_course_content_id_fkey" FOREIGN KEY ("course_content_id") REFERENCES "course_contents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submission_group_members" ADD CONSTRAINT "submission_group_members_submission_group_id_fkey" FOREIGN KEY ("submission_group_id") REFERENCES "submission_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submission_group_members" ADD CONSTRAINT "submission_group_members_course_member_id_fkey" FOREIGN KEY ("course_member_id") REFERENCES "course_members"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submission_artifacts" ADD CONSTRAINT "submission_artifacts_submission_group_id_fkey" FOREIGN KEY ("submission_group_id") REFERENCES "submission_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "submission_artifacts" ADD CONSTRAINT "submission_artifacts_uploaded_by_id_fkey" FOREIGN KEY ("uploaded_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "results" ADD CONSTRAINT "results_artifact_id_fkey" FOREIGN KEY ("artifact_id") REFERENCES "submission_artifacts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "results" ADD CONSTRAINT "results_submission_group_id_fkey" FOREIGN KEY ("submission_group_id") REFERENCES "submission_groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "results" ADD CONSTRAINT "results_course_content_id_fkey" FOREIGN KEY ("course_content_id") REFERENCES "course_contents"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workflow_runs" ADD CONSTRAINT "workflow_runs_requested_by_id_fkey" FOREIGN KEY ("requested_by_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workflow_runs" ADD CONSTRAINT "workflow_runs_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE SET NULL ON UPDATE CASCADE;

