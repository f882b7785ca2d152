import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../config';
import { loadExample } from '../example/load-example';
import { Sandbox } from '../sandbox/sandbox';
import { gradeCollection, gradeSubmission } from './grade';
import { InMemoryReferenceCache } from './reference-cache';
import { GradingSessions } from './session';

// The worker grades each collection in an activity of its own: a session lets those calls share
// the hand-in's runs as gradeSubmission does, through the real sandbox and runtimes.

const CORPUS = path.resolve(REPO_ROOT, '../shared/conformance/computor-examples');
const exampleDir = (group: string, name: string) => path.join(CORPUS, group, name);

async function perCollection(dir: string, handIn: string, sessions: GradingSessions | undefined) {
  const example = await loadExample(dir);
  const referenceCache = new InMemoryReferenceCache();
  const submissionDir = path.join(dir, 'localTests', handIn);
  // The reference first, so that only the student's runs are counted.
  await gradeSubmission({ exampleDir: dir, example, submissionDir: dir, referenceCache });
  const run = jest.spyOn(Sandbox.prototype, 'run');
  try {
    const key = `${example.contentHash}:${submissionDir}`;
    // Two at a time, as a worker runs them.
    const results = [];
    for (let i = 0; i < example.collections.length; i += 2) {
      results.push(
        ...(await Promise.all(
          example.collections.slice(i, i + 2).map(async (collection) => {
            const session = sessions?.acquire(key);
            try {
              return await gradeCollection({ exampleDir: dir, example, submissionDir, collectionIndex: collection.index, referenceCache, session });
            } finally {
              if (session) sessions?.release(session);
            }
          }),
        )),
      );
    }
    const compiles = run.mock.calls.filter(([request]) => ['gcc', 'g++', 'gfortran'].includes(String(request.argv[0]))).length;
    return { results, runs: run.mock.calls.length, compiles, collections: example.collections.length };
  } finally {
    run.mockRestore();
  }
}

test.each([
  ['itpcp.pgph.f', 'itpcp.pgph.f.calculator', 'wrongSolution'],
  ['itpcp.pgph.r', 'itpcp.pgph.r.matrix_operations', 'correctSolution'],
  ['itpcp.pgph.oct', 'itpcp.pgph.oct.vector_operations', 'correctSolution'],
])('%s/%s: per-collection calls in one session share runs and agree with separate calls', async (group, name, handIn) => {
  const dir = exampleDir(group, name);
  const sessions = new GradingSessions({ idleMs: 60_000 });
  try {
    const shared = await perCollection(dir, handIn, sessions);
    const separate = await perCollection(dir, handIn, undefined);
    const verdicts = (r: typeof shared) => r.results.map((c) => c.checks.map((k) => `${c.name}/${k.name}: ${k.status}`)).flat();
    expect(verdicts(shared)).toEqual(verdicts(separate));
    expect(shared.runs).toBeLessThan(separate.runs);
    // Fortran: one compile for the whole hand-in (runs differ by their inputs); R and Octave: one interpreter run.
    if (group === 'itpcp.pgph.f') expect(shared.compiles).toBe(1);
    else expect(shared.runs).toBe(1);
    process.stdout.write(`${name}: ${shared.collections} collections, ${shared.runs} sandbox runs (${shared.compiles} compiles) in a session, ${separate.runs} (${separate.compiles}) without\n`);
  } finally {
    sessions.close();
  }
});

test('a session removes its compiled programs when it ends, not while its hand-in is still being graded', async () => {
  const dir = exampleDir('itpcp.pgph.f', 'itpcp.pgph.f.hello_world');
  const example = await loadExample(dir);
  const sessions = new GradingSessions({ idleMs: 10 });
  const session = sessions.acquire('x');
  await gradeCollection({ exampleDir: dir, example, submissionDir: dir, collectionIndex: 0, session });
  expect(session.scratchDirs.length).toBeGreaterThan(0);
  const dirs = [...session.scratchDirs];
  expect(dirs.every((d) => fs.existsSync(d))).toBe(true);
  sessions.release(session);
  await new Promise((resolve) => setTimeout(resolve, 50));
  sessions.sweep();
  expect(sessions.size).toBe(0);
  expect(dirs.some((d) => fs.existsSync(d))).toBe(false);
});
