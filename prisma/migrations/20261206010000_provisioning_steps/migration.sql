-- Per-student provisioning status: the state of each step (user, membership, repository, access),
-- how often it was started, and the last error in plain words, as the provisioning workflow records it.
CREATE TYPE "provisioning_step_name" AS ENUM ('user', 'membership', 'repository', 'access');
CREATE TYPE "provisioning_step_state" AS ENUM ('pending', 'running', 'done', 'failed');

CREATE TABLE "provisioning_steps" (
    "course_member_id" UUID NOT NULL,
    "step" "provisioning_step_name" NOT NULL,
    "state" "provisioning_step_state" NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "last_error_detail" TEXT,
    "workflow_id" TEXT,
    "started_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "provisioning_steps_pkey" PRIMARY KEY ("course_member_id", "step")
);
CREATE INDEX "provisioning_steps_state_idx" ON "provisioning_steps" ("state");
ALTER TABLE "provisioning_steps" ADD CONSTRAINT "provisioning_steps_course_member_id_fkey" FOREIGN KEY ("course_member_id") REFERENCES "course_members"("id") ON DELETE CASCADE ON UPDATE CASCADE;
