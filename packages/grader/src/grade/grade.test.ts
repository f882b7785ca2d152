import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PLAIN_INFRA_MESSAGE, toStudentReport } from '@computor/contracts';
import { aggregateReport } from './aggregate';
import { gradeCollection } from './grade';
import { loadExample } from '../example/load-example';

// No sandbox runs here: an `exist` collection only lists the hand-in's files.
describe('a grader exception inside a collection', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'grade-unit-'));
    fs.mkdirSync(path.join(root, 'example'));
    fs.writeFileSync(path.join(root, 'example', 'meta.yaml'), 'slug: t\nproperties:\n  studentSubmissionFiles: [a.py]\n  executionBackend:\n    slug: itpcp.exec.py\n');
    fs.writeFileSync(path.join(root, 'example', 'test.yaml'), 'type: python\nproperties:\n  tests:\n  - name: files\n    type: exist\n    tests:\n    - name: a.py\n');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('is infra_error with a plain message; its text (host path) is staff-only detail', async () => {
    // A hand-in directory that vanished makes listing it throw ENOENT with the host path.
    const missing = path.join(root, 'vanished-hand-in');
    const result = await gradeCollection({ exampleDir: path.join(root, 'example'), submissionDir: missing, collectionIndex: 0 });
    expect(result.status).toBe('infra_error');
    const [check] = result.checks;
    expect(check).toMatchObject({ status: 'infra_error', message: PLAIN_INFRA_MESSAGE, publicMessage: PLAIN_INFRA_MESSAGE });
    expect(check?.detail).toContain('ENOENT');
    expect(check?.detail).toContain(missing);
    expect(result.message).not.toContain(missing);

    const example = await loadExample(path.join(root, 'example'));
    const student = JSON.stringify(toStudentReport(aggregateReport(example, [result])));
    expect(student).not.toContain(missing);
    expect(student).not.toContain('ENOENT');
    expect(student).toContain(PLAIN_INFRA_MESSAGE);
  });
});
