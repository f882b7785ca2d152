import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config';
import { resolveSuite } from './resolve';
import { parseMetaYaml, parseTestYaml, validateExampleFiles } from './validate';

const CORPUS = path.resolve(REPO_ROOT, '../shared/conformance/computor-examples');

describe('parseTestYaml', () => {
  test('parses every test.yaml and meta.yaml of the conformance corpus without errors or warnings', () => {
    const own = path.join(CORPUS, '..', 'own-examples');
    const dirs = [
      ...fs.readdirSync(CORPUS).flatMap((group) =>
        fs.statSync(path.join(CORPUS, group)).isDirectory() ? fs.readdirSync(path.join(CORPUS, group)).map((name) => path.join(CORPUS, group, name)) : [],
      ),
      ...fs.readdirSync(own).map((name) => path.join(own, name)),
    ];
    expect(dirs.length).toBeGreaterThanOrEqual(8);
    for (const dir of dirs) {
      const result = validateExampleFiles(
        {
          'meta.yaml': fs.readFileSync(path.join(dir, 'meta.yaml'), 'utf8'),
          'test.yaml': fs.readFileSync(path.join(dir, 'test.yaml'), 'utf8'),
        },
        { strictLanguage: true },
      );
      expect({ dir, errors: result.errors, warnings: result.warnings }).toEqual({ dir, errors: [], warnings: [] });
    }
  });

  test('upload refuses an unknown language and a collection type its language lacks, naming the field', () => {
    const meta = (slug: string) => ['identifier: a.b', 'version: "1.0"', 'properties:', '  studentSubmissionFiles: [a.m]', '  executionBackend:', `    slug: ${slug}`].join('\n');
    const test = (type: string) => ['type: octave', 'properties:', '  tests:', '  - name: c', `    type: ${type}`, '    tests:', '    - name: x'].join('\n');
    const cobol = validateExampleFiles({ 'meta.yaml': meta('itpcp.exec.cobol'), 'test.yaml': test('variable') }, { strictLanguage: true });
    expect(cobol.ok).toBe(false);
    expect(cobol.errors).toEqual([expect.objectContaining({ file: 'meta.yaml', path: 'properties.executionBackend.slug', message: expect.stringMatching(/language "cobol".*not one this grader knows/) })]);
    const compile = validateExampleFiles({ 'meta.yaml': meta('itpcp.exec.oct'), 'test.yaml': test('compile') }, { strictLanguage: true });
    expect(compile.errors).toEqual([expect.objectContaining({ file: 'test.yaml', path: 'properties.tests[0].type', message: expect.stringMatching(/"compile" is not one octave examples can use/) })]);
    // Grading an example already stored: the same findings are warnings, the collection is skipped.
    const stored = validateExampleFiles({ 'meta.yaml': meta('itpcp.exec.oct'), 'test.yaml': test('compile') });
    expect(stored.ok).toBe(true);
    expect(stored.warnings.map((w) => w.path)).toContain('properties.tests[0].type');
    expect(validateExampleFiles({ 'meta.yaml': meta('itpcp.exec.oct'), 'test.yaml': test('graphics') }, { strictLanguage: true }).errors).toEqual([]);
  });

  test('reports unknown keys as warnings with their field path instead of dropping them silently', () => {
    const result = parseTestYaml(
      ['properties:', '  tolerance: 1', '  tests:', '  - name: c', '    type: variable', '    entryPont: a.py', '    tests:', '    - name: x', '      valeu: 3'].join('\n'),
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => w.path)).toEqual(['properties.tolerance', 'properties.tests[0].entryPont', 'properties.tests[0].tests[0].valeu']);
    expect(result.warnings[0]).toMatchObject({ file: 'test.yaml', message: 'unknown key, ignored' });
  });

  test('lists every error with file and field path', () => {
    const result = parseTestYaml(
      ['properties:', '  relativeTolerance: -1', '  tests:', '  - type: stdout', '    tests:', '    - name: a', '      allowedOccuranceRange: [1, 2, 3]', '    timeout: soon'].join('\n'),
    );
    expect(result.value).toBeUndefined();
    const paths = result.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['properties.relativeTolerance', 'properties.tests[0].name', 'properties.tests[0].tests[0].allowedOccuranceRange', 'properties.tests[0].timeout']));
    expect(result.errors.every((e) => e.file === 'test.yaml')).toBe(true);
  });

  test('null means unset, as in the original (its fields are Optional)', () => {
    const result = parseTestYaml(['properties:', '  tests:', '  - name: c', '    tests:', '    - name: x', '      allowedOccuranceRange: null', '      qualification: null'].join('\n'));
    expect(result.errors).toEqual([]);
    expect(result.value?.properties.tests[0]?.tests[0]?.allowedOccuranceRange).toBeUndefined();
  });

  test('reports YAML syntax errors', () => {
    const result = parseTestYaml('properties: [unclosed');
    expect(result.value).toBeUndefined();
    expect(result.errors[0]?.path).toBe('(yaml)');
  });

  test('accepts the correctly spelt aliases and normalises strings and numbers', () => {
    const result = parseTestYaml(
      ['version: 1.0', 'properties:', '  tests:', '  - name: 42', '    setUpCode: x = 1', '    inputAnswers: [5, "3"]', '    tests:', '    - name: a', '      allowedOccurrenceRange: [1, 0]', '      occurrenceType: NAME'].join('\n'),
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const collection = result.value?.properties.tests[0];
    expect(result.value?.version).toBe('1');
    expect(collection?.name).toBe('42');
    expect(collection?.type).toBe('variable');
    expect(collection?.setUpCode).toEqual(['x = 1']);
    expect(collection?.inputAnswers).toEqual(['5', '3']);
    expect(collection?.tests[0]?.allowedOccuranceRange).toEqual([1, 0]);
    expect(collection?.tests[0]?.occuranceType).toBe('NAME');
  });

  test('warns about unknown collection types and qualifications', () => {
    const result = parseTestYaml(['properties:', '  tests:', '  - name: c', '    type: telepathy', '    tests:', '    - name: a', '      qualification: approximately'].join('\n'));
    expect(result.warnings.map((w) => w.path)).toEqual(['properties.tests[0].type', 'properties.tests[0].tests[0].qualification']);
  });
});

describe('parseMetaYaml', () => {
  test('rejects paths that leave the example', () => {
    const result = parseMetaYaml('properties:\n  studentSubmissionFiles: [../../etc/passwd, /abs.py]\n');
    expect(result.errors.map((e) => e.path)).toEqual(['properties.studentSubmissionFiles[0]', 'properties.studentSubmissionFiles[1]']);
  });

  test('reads execution settings and keeps unknown settings as warnings', () => {
    const result = parseMetaYaml('properties:\n  executionBackend:\n    slug: itpcp.exec.c\n    version: 13\n    settings: {timeout: 5, memoryLimitMB: 128, flags: [-O2], turbo: true}\n');
    expect(result.value?.properties.executionBackend?.settings).toMatchObject({ timeout: 5, memoryLimitMB: 128, flags: ['-O2'] });
    expect(result.value?.properties.executionBackend?.version).toBe('13');
    expect(result.warnings.map((w) => w.path)).toEqual(['properties.executionBackend.settings.turbo']);
  });

  test('expected-value visibility: always/never example-wide and per collection; anything else names the field', () => {
    const test = 'properties:\n  tests:\n  - {name: Variables, id: vars, tests: [{name: x}]}\n  - {name: Output, type: stdout, tests: [{name: o}]}\n';
    const meta = (settings: string) => `properties:\n  executionBackend:\n    slug: itpcp.exec.py\n    settings: ${settings}\n`;
    const good = validateExampleFiles({ 'meta.yaml': meta('{expected: always, expectedByCollection: {vars: never, Output: always}}'), 'test.yaml': test });
    expect(good.errors).toEqual([]);
    expect(good.warnings).toEqual([]);
    expect(good.meta?.properties.executionBackend?.settings).toMatchObject({ expected: 'always', expectedByCollection: { vars: 'never', Output: 'always' } });

    const bad = validateExampleFiles({ 'meta.yaml': meta('{expected: afterDue, expectedByCollection: {Output: sometimes}}'), 'test.yaml': test });
    expect(bad.ok).toBe(false);
    expect(bad.errors.map((e) => [e.path, e.message])).toEqual([
      ['properties.executionBackend.settings.expected', '"afterDue" is not supported yet (contents have no deadlines)'],
      ['properties.executionBackend.settings.expectedByCollection.Output', 'must be one of always, never'],
    ]);
    const unknown = validateExampleFiles({ 'meta.yaml': meta('{expectedByCollection: {Outptu: always}}'), 'test.yaml': test });
    expect(unknown.errors).toEqual([
      { file: 'meta.yaml', path: 'properties.executionBackend.settings.expectedByCollection.Outptu', message: 'names no collection of test.yaml (by name or id)' },
    ]);
    const unknownVisibility = validateExampleFiles({ 'meta.yaml': meta('{visibilityByCollection: {Outptu: afterDue}}'), 'test.yaml': test });
    expect(unknownVisibility.errors).toEqual([
      { file: 'meta.yaml', path: 'properties.executionBackend.settings.visibilityByCollection.Outptu', message: 'names no collection of test.yaml (by name or id)' },
    ]);
  });

  test('validateExampleFiles flags a missing file and an entry point that is not submitted', () => {
    expect(validateExampleFiles({ 'test.yaml': 'properties: {}' }).errors).toEqual([{ file: 'meta.yaml', path: '(file)', message: 'missing' }]);
    const result = validateExampleFiles({
      'meta.yaml': 'properties:\n  studentSubmissionFiles: [a.py]\n',
      'test.yaml': 'properties:\n  tests:\n  - {name: c, entryPoint: b.py, tests: [{name: x}]}\n',
    });
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.path)).toEqual(['properties.tests[0].entryPoint']);
  });
});

describe('resolveSuite', () => {
  const suite = parseTestYaml(
    [
      'properties:',
      '  relativeTolerance: 0.01',
      '  typeCheck: false',
      '  failureMessage: suite-level',
      '  timeout: 30',
      '  tests:',
      '  - name: first',
      '    id: one',
      '    absoluteTolerance: 0.5',
      '    setUpCode: [a = 1]',
      '    tests:',
      '    - name: x',
      '    - name: y',
      '      relativeTolerance: 0.2',
      '      typeCheck: true',
      '  - name: second',
      '    setUpCodeDependency: one',
      '    setUpCode: b = 2',
      '    timeout: 3',
      '    failureMessage: collection-level',
      '    tests:',
      '    - name: z',
    ].join('\n'),
  ).value;

  test('checks inherit from collection, then suite, then defaults, and may override', () => {
    if (!suite) throw new Error('suite did not parse');
    const [first, second] = resolveSuite(suite);
    expect(first?.checks[0]).toMatchObject({ relativeTolerance: 0.01, absoluteTolerance: 0.5, typeCheck: false, shapeCheck: true, qualification: 'verifyEqual', equalNaN: true });
    expect(first?.checks[1]).toMatchObject({ relativeTolerance: 0.2, absoluteTolerance: 0.5, typeCheck: true });
    expect(second?.checks[0]).toMatchObject({ relativeTolerance: 0.01, absoluteTolerance: 1e-4 });
  });

  test('timeouts, setUpCode dependencies and messages resolve', () => {
    if (!suite) throw new Error('suite did not parse');
    const [first, second] = resolveSuite(suite);
    expect(first?.timeoutSeconds).toBe(30);
    expect(second?.timeoutSeconds).toBe(3);
    expect(second?.setUpCode).toEqual(['a = 1', 'b = 2']);
    // Suite-level messages describe the whole run and do not replace check messages.
    expect(first?.checks[0]?.failureMessage).toBeUndefined();
    expect(second?.checks[0]?.failureMessage).toBe('collection-level');
  });
});
