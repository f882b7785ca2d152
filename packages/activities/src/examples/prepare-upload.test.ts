import fs from 'node:fs';
import path from 'node:path';
import { prepareExampleUpload } from './prepare-upload';

const CORPUS = path.resolve(__dirname, '../../../../../shared/conformance/computor-examples');

function readDir(dir: string, prefix: string): Array<{ path: string; data: Buffer }> {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? readDir(path.join(dir, e.name), `${prefix}${e.name}/`) : [{ path: `${prefix}${e.name}`, data: fs.readFileSync(path.join(dir, e.name)) }],
  );
}

const META = ['identifier: demo.one', "version: '1.0'", 'title: One', 'properties:', '  studentSubmissionFiles: [a.py]'].join('\n');
const TEST = ['type: python', 'name: t', 'properties:', '  tests:', '  - type: variable', '    name: v', '    entryPoint: a.py', '    tests:', '    - name: x'].join('\n');
const f = (p: string, text: string) => ({ path: p, data: Buffer.from(text) });

describe('prepareExampleUpload', () => {
  it('finds every example of an archive with its identifier, version and files', () => {
    const files = [...readDir(path.join(CORPUS, 'itpcp.pgph.py/itpcp.pgph.py.lambda'), 'lib/itpcp.pgph.py.lambda/'), ...readDir(path.join(CORPUS, 'itpcp.pgph.c/itpcp.pgph.c.hello_world'), 'lib/hello/')];
    const prepared = prepareExampleUpload(files);
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.problems));
    expect(prepared.examples.map((e) => [e.directory, e.identifier, e.versionTag])).toEqual([
      ['lib/hello', 'itpcp.pgph.c.hello_world', '1.0'],
      ['lib/itpcp.pgph.py.lambda', 'itpcp.pgph.py.lambda', '1.0'],
    ].sort((a, b) => a[0]!.length - b[0]!.length));
    const lambda = prepared.examples.find((e) => e.identifier === 'itpcp.pgph.py.lambda')!;
    expect(lambda.files.map((x) => x.path)).toContain('localTests/correctSolution/lambda.py');
    expect(lambda.files.map((x) => x.path)).toContain('meta.yaml');
  });

  it('lists every problem of every example with its archive file and field path', () => {
    const prepared = prepareExampleUpload([
      f('one/meta.yaml', META.replace('identifier: demo.one', 'identifier: "../evil"')),
      f('one/test.yaml', TEST.replace('type: variable', 'type: 42').replace('    tests:\n    - name: x', '    tests: nope')),
      f('two/meta.yaml', 'version: [1\n'),
      f('three/meta.yaml', META.replace('demo.one', 'demo.three').replace("version: '1.0'", '').concat('\n  additionalFiles: [missing.txt]')),
      f('three/test.yaml', TEST),
      f('stray.txt', 'x'),
    ]);
    expect(prepared.ok).toBe(false);
    const problems = (prepared as { problems: Array<{ file: string; path: string }> }).problems.map((p) => `${p.file} ${p.path}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'stray.txt (file)',
        'one/meta.yaml identifier',
        'two/test.yaml (file)',
        'three/meta.yaml version',
        'three/meta.yaml properties.additionalFiles[0]',
      ]),
    );
    expect(problems.some((p) => p.startsWith('one/test.yaml properties.tests[0]'))).toBe(true);
    expect(problems.some((p) => p.startsWith('two/meta.yaml'))).toBe(true);
  });

  it('refuses two examples with the same identifier and an archive without examples', () => {
    const dup = prepareExampleUpload([f('a/meta.yaml', META), f('a/test.yaml', TEST), f('b/meta.yaml', META), f('b/test.yaml', TEST)]);
    expect(dup).toMatchObject({ ok: false, problems: [{ file: 'b/meta.yaml', path: 'identifier' }] });
    expect(prepareExampleUpload([f('readme.txt', 'x')])).toMatchObject({ ok: false });
  });

  it('accepts an example at the archive root and ignores nested meta.yaml files inside it', () => {
    const prepared = prepareExampleUpload([f('meta.yaml', META), f('test.yaml', TEST), f('a.py', 'x=1'), f('localTests/x/meta.yaml', 'junk: [')]);
    expect(prepared).toMatchObject({ ok: true, examples: [{ directory: '', identifier: 'demo.one' }] });
  });
});
