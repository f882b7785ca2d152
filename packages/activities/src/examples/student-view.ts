/** The parts of meta.yaml's `properties` that decide what students see. */
export interface TStudentViewProperties {
  studentSubmissionFiles: readonly string[];
  additionalFiles: readonly string[];
  studentTemplates: readonly string[];
  testFiles?: readonly string[];
}

export interface TViewFile {
  path: string;
  data: Buffer;
}

const README = /^content\/index(_[A-Za-z0-9-]+)?\.md$/;
const MEDIA = 'content/mediaFiles/';
// Never handed out, whatever additionalFiles says.
const NEVER = (path: string) => path === 'meta.yaml' || path === 'test.yaml' || path === 'localTests' || path.startsWith('localTests/');

const under = (path: string, entry: string) => path === entry || path.startsWith(`${entry.replace(/\/+$/, '')}/`);

/** The studentTemplates file for a submission file: a template path ending in it, else one with its file name. */
function templateFor(submission: string, templates: readonly string[]): string | undefined {
  // A template at the submission's own path would be the reference solution itself.
  const candidates = templates.filter((t) => t !== submission);
  return candidates.find((t) => t.endsWith(`/${submission}`)) ?? candidates.find((t) => t.split('/').pop() === submission.split('/').pop());
}

/**
 * What a student receives of an example, by allowlist only: `content/index.md` -> `README.md`,
 * `content/index_<lang>.md` -> `README_<lang>.md`, `content/mediaFiles/**` -> `mediaFiles/**` (so
 * the README's relative links keep working), every `additionalFiles` entry (a file or a directory),
 * and every `studentSubmissionFiles` entry with the content of its `studentTemplates` file or empty.
 * Nothing else: no tests, no solutions, no localTests/, no meta.yaml. Paths are relative to the
 * assignment directory; the result is sorted by path.
 */
export function computeStudentView(files: readonly TViewFile[], props: TStudentViewProperties): TViewFile[] {
  const out = new Map<string, Buffer>();
  const byPath = new Map(files.map((f) => [f.path, f.data]));
  const forbidden = (path: string) => NEVER(path) || (props.testFiles ?? []).some((t) => under(path, t));
  for (const file of files) {
    const readme = README.exec(file.path);
    if (readme) out.set(`README${readme[1] ?? ''}.md`, file.data);
    else if (file.path.startsWith(MEDIA) && file.path.length > MEDIA.length) out.set(`mediaFiles/${file.path.slice(MEDIA.length)}`, file.data);
  }
  for (const entry of props.additionalFiles) {
    for (const file of files) if (under(file.path, entry) && !forbidden(file.path)) out.set(file.path, file.data);
  }
  // Submission files last: a solution listed in additionalFiles still reaches students as its template.
  for (const submission of props.studentSubmissionFiles) {
    const template = templateFor(submission, props.studentTemplates);
    out.set(submission, (template !== undefined ? byPath.get(template) : undefined) ?? Buffer.alloc(0));
  }
  return [...out.entries()].map(([path, data]) => ({ path, data })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
