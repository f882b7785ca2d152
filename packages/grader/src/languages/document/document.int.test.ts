import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TGradingReport } from '@computor/contracts';
import { REPO_ROOT } from '../../config';
import { gradeSubmission } from '../../grade/grade';
import { document } from '.';
import { MAX_DOCUMENT_BYTES } from './metrics';

// Document hand-ins through the real grading path (gradeSubmission). No process runs for a
// document, so instead of the sandbox's hostile programs these are hostile files: too big, not
// text, a symlink, a directory, and content or example patterns that make regexes blow up.

const CORPUS = path.resolve(REPO_ROOT, '../shared/conformance/computor-examples');
const ESSAY = path.join(CORPUS, 'itpcp.pgph.doc', 'itpcp.pgph.doc.essay_requirements');

const tmpDirs: string[] = [];
afterAll(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function checksOf(report: TGradingReport): Record<string, { status: string; message: string; publicMessage?: string | undefined }> {
  return Object.fromEntries(report.collections.flatMap((c) => c.checks.map((check) => [`${c.name} / ${check.name}`, { status: check.status, message: check.message, publicMessage: check.publicMessage }])));
}

function notPassed(report: TGradingReport): string[] {
  return Object.entries(checksOf(report))
    .filter(([, check]) => check.status !== 'passed')
    .map(([name]) => name)
    .sort();
}

const HOSTILE_TEST_YAML = `
type: document
properties:
  tests:
    - type: exist
      name: Hand-in
      tests:
        - name: essay.md
    - type: wordcount
      name: Words
      file: essay.md
      tests:
        - name: words
          allowedOccuranceRange: [1, 0]
    - type: keyword
      name: Keyword
      file: essay.md
      tests:
        - name: root
    - type: structural
      name: Structure
      file: essay.md
      tests:
        - name: anything
          pattern: 'a'
          allowedOccuranceRange: [1, 0]
`;

/** An example with the given test.yaml and an empty hand-in directory next to it. */
function example(testYaml: string): { exampleDir: string; handIn: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'document-int-'));
  tmpDirs.push(root);
  const exampleDir = path.join(root, 'example');
  const handIn = path.join(root, 'handin');
  fs.mkdirSync(exampleDir);
  fs.mkdirSync(handIn);
  fs.writeFileSync(
    path.join(exampleDir, 'meta.yaml'),
    'identifier: test.document.hostile\nversion: "1.0"\ntitle: Hostile documents\nproperties:\n  studentSubmissionFiles: [essay.md]\n  executionBackend:\n    slug: itpcp.exec.doc\n',
  );
  fs.writeFileSync(path.join(exampleDir, 'test.yaml'), testYaml);
  return { exampleDir, handIn };
}

describe('canary', () => {
  const canaryDir = document.canaryDir as string;

  test('the reference at its root passes every check', async () => {
    const report = await gradeSubmission({ exampleDir: canaryDir, submissionDir: canaryDir });
    expect(report.status).toBe('completed');
    expect(notPassed(report)).toEqual([]);
    expect(report.score).toBe(1);
    // Every main check type is exercised.
    expect(new Set(report.collections.map((c) => c.type))).toEqual(
      new Set(['exist', 'wordcount', 'paragraphcount', 'section', 'headingcount', 'listitemcount', 'linkcount', 'imagecount', 'codeblockcount', 'keyword', 'pattern', 'sentencecount', 'uniquewords', 'structural', 'avgwordlength']),
    );
  });

  test('the wrong solution scores below 1.0, its failures named', async () => {
    const report = await gradeSubmission({ exampleDir: canaryDir, submissionDir: path.join(canaryDir, 'localTests', 'wrongSolution') });
    expect(report.status).toBe('completed');
    expect(report.score).toBeLessThan(1);
    expect(notPassed(report)).toEqual([
      'Code / code_blocks',
      'Figures / images',
      'Headings / headings',
      'Keywords / TODO',
      'Keywords / rainfall',
      'Length / words',
      'Links / links',
      'Paragraphs / paragraphs',
      'Sections / Introduction',
      'Sections / Method',
      'Sections / Results',
      'Sections / Summary',
      'Sentences / sentences',
      'Sources / urls',
      'Steps / list_items',
      'Vocabulary / unique_words',
      'Year / year',
    ]);
    const checks = checksOf(report);
    expect(checks['Length / words']).toMatchObject({ status: 'failed', message: 'Word count is 10, expected at least 60', publicMessage: 'Word count is 10, outside the allowed range' });
    expect(checks['Keywords / TODO']).toMatchObject({ status: 'failed', message: 'Keyword occurrences is 1, expected 0' });
    expect(checks['Sections / Summary']).toMatchObject({ status: 'failed', message: 'Section `Summary` (level 2) not found' });
    expect(checks['Style / average_word_length']).toMatchObject({ status: 'passed' });
  });
});

test('the essay example graded at its root (no essay there, D6) fails every check on the missing file, as the original', async () => {
  const report = await gradeSubmission({ exampleDir: ESSAY, submissionDir: ESSAY });
  expect(report.status).toBe('completed');
  const checks = checksOf(report);
  expect(Object.values(checks).every((check) => check.status === 'failed')).toBe(true);
  expect(Object.keys(checks)).toHaveLength(11);
  expect(checks['Word Count Check / minimum_words']?.message).toBe('File `essay.md` not found');
  expect(checks['File Existence / essay.md']?.message).toMatch(/not found/);
});

describe('hostile hand-ins', () => {
  test('a file over the size cap fails its checks with a clear message, without being read whole', async () => {
    const { exampleDir, handIn } = example(HOSTILE_TEST_YAML);
    // Sparse: 1 GiB by size, nothing on disk; only the cap plus one byte is ever read.
    const fd = fs.openSync(path.join(handIn, 'essay.md'), 'w');
    fs.writeSync(fd, 'root '.repeat(1000));
    fs.ftruncateSync(fd, 1024 * 1024 * 1024);
    fs.closeSync(fd);
    const started = Date.now();
    const report = await gradeSubmission({ exampleDir, submissionDir: handIn });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(report.status).toBe('completed');
    const checks = checksOf(report);
    expect(checks['Hand-in / essay.md']?.status).toBe('passed');
    for (const name of ['Words / words', 'Keyword / root', 'Structure / anything']) {
      expect(checks[name]).toMatchObject({ status: 'failed', message: `File \`essay.md\` is larger than ${MAX_DOCUMENT_BYTES / (1024 * 1024)} MiB, the most a document check reads` });
    }
  });

  test('a file exactly at the cap is graded', async () => {
    const { exampleDir, handIn } = example(HOSTILE_TEST_YAML);
    fs.writeFileSync(path.join(handIn, 'essay.md'), 'a'.repeat(MAX_DOCUMENT_BYTES));
    const report = await gradeSubmission({ exampleDir, submissionDir: handIn });
    expect(checksOf(report)['Words / words']).toMatchObject({ status: 'passed', message: 'Word count is 1' });
    // One million matches are counted, not collected.
    expect(checksOf(report)['Structure / anything']).toMatchObject({ status: 'passed', message: `Pattern \`a\` found ${MAX_DOCUMENT_BYTES} times` });
  });

  test('binary content (invalid UTF-8) fails as not text, never passes or crashes', async () => {
    const { exampleDir, handIn } = example(HOSTILE_TEST_YAML);
    fs.writeFileSync(path.join(handIn, 'essay.md'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x72, 0x6f, 0x6f, 0x74]));
    const report = await gradeSubmission({ exampleDir, submissionDir: handIn });
    expect(report.status).toBe('completed');
    const checks = checksOf(report);
    for (const name of ['Words / words', 'Keyword / root', 'Structure / anything']) {
      expect(checks[name]).toMatchObject({ status: 'failed', message: 'File `essay.md` is not valid UTF-8 text' });
    }
  });

  test('a symlink to a host file or to the example is not read: its content never reaches a check', async () => {
    for (const target of ['/etc/passwd', 'TEST_YAML']) {
      const { exampleDir, handIn } = example(HOSTILE_TEST_YAML);
      fs.symlinkSync(target === 'TEST_YAML' ? path.join(exampleDir, 'test.yaml') : target, path.join(handIn, 'essay.md'));
      const report = await gradeSubmission({ exampleDir, submissionDir: handIn });
      expect(report.status).toBe('completed');
      const checks = checksOf(report);
      // /etc/passwd contains "root": a followed link would pass the keyword check.
      expect(checks['Keyword / root']?.status).toBe('failed');
      expect(checks['Keyword / root']?.message).toMatch(/^File `essay\.md` not read: only regular files of the hand-in are read \(.*symbolic link\)$/);
      expect(checks['Words / words']?.status).toBe('failed');
      expect(checks['Hand-in / essay.md']?.status).toBe('failed');
      expect(JSON.stringify(report)).not.toMatch(/root:x:0:0|allowedOccuranceRange/);
    }
  });

  test('a directory named like the document is not found', async () => {
    const { exampleDir, handIn } = example(HOSTILE_TEST_YAML);
    fs.mkdirSync(path.join(handIn, 'essay.md'));
    fs.writeFileSync(path.join(handIn, 'essay.md', 'inner.md'), 'root');
    const report = await gradeSubmission({ exampleDir, submissionDir: handIn });
    expect(checksOf(report)['Words / words']).toMatchObject({ status: 'failed', message: 'File `essay.md` not found' });
  });

  test("an example's catastrophic pattern on the student's text ends within its time limit as a broken check; the other checks are graded", async () => {
    const { exampleDir, handIn } = example(`
type: document
properties:
  tests:
    - type: pattern
      name: Patterns
      file: essay.md
      tests:
        - name: catastrophic
          pattern: '(a+)+$'
        - name: fine
          pattern: 'a!'
    - type: structural
      name: Structure
      file: essay.md
      tests:
        - name: catastrophic
          pattern: '(a|aa)+b'
          value: 1
`);
    fs.writeFileSync(path.join(handIn, 'essay.md'), `${'a'.repeat(40_000)}!`);
    const started = Date.now();
    const report = await gradeSubmission({ exampleDir, submissionDir: handIn });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(report.status).toBe('completed');
    const checks = checksOf(report);
    for (const name of ['Patterns / catastrophic', 'Structure / catastrophic']) {
      expect(checks[name]).toMatchObject({ status: 'error', publicMessage: "BROKEN EXAMPLE (not the student's fault): this check is invalid" });
      expect(checks[name]?.message).toMatch(/catastrophic backtracking/);
    }
    expect(checks['Patterns / fine']?.status).toBe('passed');
  });

  test('text that makes the original patterns backtrack quadratically is graded in time', async () => {
    const { exampleDir, handIn } = example(`
type: document
properties:
  tests:
    - type: listitemcount
      name: Lists
      file: essay.md
      tests: [{ name: items, value: 0 }]
    - type: linkcount
      name: Links
      file: essay.md
      tests: [{ name: links, value: 0 }]
    - type: headingcount
      name: Headings
      file: essay.md
      tests: [{ name: headings, value: 1 }]
    - type: paragraphcount
      name: Paragraphs
      file: essay.md
      tests: [{ name: paragraphs, value: 3 }]
`);
    const third = Math.floor(MAX_DOCUMENT_BYTES / 3) - 2;
    fs.writeFileSync(path.join(handIn, 'essay.md'), `${'\n'.repeat(third)}x\n\n${'['.repeat(third)}\n\n#${' '.repeat(third)}`);
    const started = Date.now();
    const report = await gradeSubmission({ exampleDir, submissionDir: handIn });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(notPassed(report)).toEqual([]);
  });

  test('the missing document fails with the original message; a broken value is the example’s fault', async () => {
    const { exampleDir, handIn } = example(`
type: document
properties:
  tests:
    - type: wordcount
      name: Words
      file: essay.md
      tests: [{ name: words, value: many }]
    - type: wordcount
      name: Nowhere
      tests: [{ name: words }]
`);
    const missing = await gradeSubmission({ exampleDir, submissionDir: handIn });
    expect(checksOf(missing)['Words / words']).toMatchObject({ status: 'failed', message: 'File `essay.md` not found' });
    fs.writeFileSync(path.join(handIn, 'essay.md'), 'one two');
    const report = await gradeSubmission({ exampleDir, submissionDir: handIn });
    const checks = checksOf(report);
    expect(checks['Words / words']).toMatchObject({ status: 'error', message: 'invalid check: value "many" is not an integer' });
    expect(checks['Nowhere / words']?.status).toBe('error');
    expect(checks['Nowhere / words']?.message).toMatch(/^BROKEN EXAMPLE .*no file specified/);
  });
});
