-- The course an example belongs to, from which its library permission is derived. Existing
-- examples have none: administrators and the courses that use them keep access.
ALTER TABLE "examples" ADD COLUMN "course_id" UUID;

CREATE INDEX "examples_course_id_idx" ON "examples"("course_id");

ALTER TABLE "examples" ADD CONSTRAINT "examples_course_id_fkey" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE SET NULL ON UPDATE CASCADE;
