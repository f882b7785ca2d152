import { computeStudentView } from './student-view';

const f = (path: string, text = path) => ({ path, data: Buffer.from(text) });
const view = (files: ReturnType<typeof f>[], props: Partial<Parameters<typeof computeStudentView>[1]>) =>
  computeStudentView(files, { studentSubmissionFiles: [], additionalFiles: [], studentTemplates: [], ...props }).map((v) => [v.path, v.data.toString()]);

describe('computeStudentView', () => {
  const example = [
    f('meta.yaml'),
    f('test.yaml'),
    f('lambda.py', 'SOLUTION'),
    f('lambda_master.py', 'MASTER'),
    f('content/index.md', '# Task'),
    f('content/index_de.md', '# Aufgabe'),
    f('content/mediaFiles/plot.png', 'PNG'),
    f('content/notes.txt'),
    f('localTests/correctSolution/lambda.py'),
    f('studentTemplates/lambda.py', 'def f():\n    pass\n'),
    f('data/input.csv', '1,2'),
    f('data/sub/more.csv', '3'),
    f('helpers/test_util.py'),
  ];

  it('hands out only the allowlist: READMEs, media, additional files, submission files from their templates', () => {
    expect(view(example, { studentSubmissionFiles: ['lambda.py'], studentTemplates: ['studentTemplates/lambda.py'], additionalFiles: ['data'] })).toEqual([
      ['README.md', '# Task'],
      ['README_de.md', '# Aufgabe'],
      ['data/input.csv', '1,2'],
      ['data/sub/more.csv', '3'],
      ['lambda.py', 'def f():\n    pass\n'],
      ['mediaFiles/plot.png', 'PNG'],
    ]);
  });

  it('gives an empty submission file when there is no template, never the solution', () => {
    expect(view(example, { studentSubmissionFiles: ['lambda.py'] })).toContainEqual(['lambda.py', '']);
    // A "template" at the submission's own path is the solution itself.
    expect(view(example, { studentSubmissionFiles: ['lambda.py'], studentTemplates: ['lambda.py'] })).toContainEqual(['lambda.py', '']);
    expect(view(example, { studentSubmissionFiles: ['lambda.py'], additionalFiles: ['lambda.py'] })).toContainEqual(['lambda.py', '']);
  });

  it('never hands out tests, meta.yaml, localTests or testFiles, even when additionalFiles lists them', () => {
    const paths = view(example, { additionalFiles: ['test.yaml', 'meta.yaml', 'localTests', 'helpers/test_util.py'], testFiles: ['helpers/test_util.py'] }).map(([p]) => p);
    expect(paths).toEqual(['README.md', 'README_de.md', 'mediaFiles/plot.png']);
  });

  it('does not treat a prefix of a name as a directory', () => {
    expect(view([f('data.csv'), f('data/x')], { additionalFiles: ['data'] }).map(([p]) => p)).toEqual(['data/x']);
  });
});
