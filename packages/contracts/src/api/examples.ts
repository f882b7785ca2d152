import { z } from 'zod';
import { ZUuid } from '../ids';

/** Example identifiers and version tags become object keys and directory names: keep them tame. */
export const ZExampleIdentifier = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_" or "-", starting with a letter or digit')
  .refine((s) => !s.includes('..'), 'must not contain ".."');
export const ZExampleVersionTag = ZExampleIdentifier;

/** ltree-like dotted path of a course content, e.g. `week1.hello`. */
export const ZContentPath = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, 'must be dot-separated labels of letters, digits and "_" (e.g. week1.hello)');

/** Directory of an assignment inside the repositories: relative, no `..`, no leading or trailing slash. */
export const ZContentDirectory = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/, 'must be a relative path of letters, digits, ".", "_" and "-" segments')
  .refine((s) => !s.split('/').includes('..') && s.toLowerCase() !== 'readme.md', 'must not contain ".." or be the root README');

export const ZCreateCourseContentBody = z.strictObject({
  path: ZContentPath,
  title: z.string().trim().min(1).max(200),
  // Bounded: extreme doubles do not survive the database driver.
  position: z.number().finite().min(-1e9).max(1e9).optional(),
  maxTestRuns: z.number().int().min(1).max(100_000).nullable().optional(),
  directory: ZContentDirectory.optional(),
});
export type TCreateCourseContentBody = z.infer<typeof ZCreateCourseContentBody>;

export const ZAssignExampleBody = z.strictObject({ exampleVersionId: ZUuid });
export type TAssignExampleBody = z.infer<typeof ZAssignExampleBody>;

const selectionShape = {
  course_content_ids: z.array(ZUuid).min(1).max(1000).optional(),
  all: z.literal(true).optional(),
};

function exactlyOneSelection(body: { course_content_ids?: string[]; all?: true }, ctx: z.RefinementCtx) {
  const given = (body.course_content_ids ? 1 : 0) + (body.all ? 1 : 0);
  if (given !== 1) ctx.addIssue({ code: 'custom', path: ['course_content_ids'], message: 'give exactly one of course_content_ids or all: true' });
}

/** POST /courses/:id/assignments-repository: which contents to publish. */
export const ZReleaseSelectionBody = z.strictObject(selectionShape).superRefine(exactlyOneSelection);
export type TReleaseSelectionBody = z.infer<typeof ZReleaseSelectionBody>;

/** POST /courses/:id/student-template: every accepted option is honoured, unknown ones are rejected. */
export const ZReleaseStudentTemplateBody = z
  .strictObject({
    ...selectionShape,
    force: z.boolean().optional(),
    update_student_repositories: z.boolean().optional(),
  })
  .superRefine(exactlyOneSelection);
export type TReleaseStudentTemplateBody = z.infer<typeof ZReleaseStudentTemplateBody>;

/** Text fields of `POST /examples` (multipart): the course the examples are uploaded for (required but for administrators). */
export const ZUploadExamplesFields = z.strictObject({ course_id: ZUuid.optional() });
export type TUploadExamplesFields = z.infer<typeof ZUploadExamplesFields>;
