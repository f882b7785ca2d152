import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, resolveGraderConfig } from '../config';
import { gradeSubmission } from '../grade/grade';
import { assessLanguages, languageProblem, resetLanguageHealth } from './health';
import type { TLanguagePlugin } from './plugin';
import { LANGUAGES, languageById } from './registry';

// What a worker does at start: probe every runtime and grade every canary, through the real sandbox.

afterEach(() => resetLanguageHealth());

test('every installed language passes its canary; Julia (no runtime here) is reported missing', async () => {
  const health = await assessLanguages(resolveGraderConfig(), { canary: true });
  const byId = Object.fromEntries(health.map((h) => [h.language, h]));
  expect(Object.keys(byId).sort()).toEqual(LANGUAGES.map((l) => l.id).sort());
  for (const id of ['python', 'c', 'octave', 'r', 'fortran', 'document']) {
    expect({ id, ...byId[id] }).toMatchObject({ id, ok: true, canary: 'passed' });
  }
  expect(byId.julia).toMatchObject({ ok: false, reason: 'julia not found on PATH' });
  process.stdout.write(`${health.map((h) => `${h.language}: ${h.ok ? 'ok' : 'NOT ok'} ${h.canary} ${h.canaryMs ?? '-'} ms ${h.version ?? h.reason ?? ''}`).join('\n')}\n`);
});

test('a broken runtime (its canary fails) takes no hand-ins: they fail as infrastructure errors with the reason', async () => {
  const python = languageById('python') as TLanguagePlugin;
  // The canary's wrong solution as the reference: the canary reference no longer scores 1.0.
  const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-canary-'));
  try {
    fs.cpSync(python.canaryDir as string, broken, { recursive: true });
    fs.copyFileSync(path.join(broken, 'localTests', 'wrongSolution', 'solution.py'), path.join(broken, 'solution.py'));
    const original = python.canaryDir;
    (python as { canaryDir?: string }).canaryDir = broken;
    try {
      const config = resolveGraderConfig();
      await assessLanguages(config, { canary: true });
      expect(await languageProblem(python, config)).toMatch(/^canary reference scored/);
      const report = await gradeSubmission({ exampleDir: original as string, submissionDir: original as string });
      const statuses = report.collections.flatMap((c) => c.checks.map((k) => k.status));
      expect(new Set(statuses)).toEqual(new Set(['infra_error']));
      expect(report.collections[0]?.checks[0]?.message).toMatch(/^this worker cannot grade python: canary reference scored/);
      // Students read the plain sentence, never the grader's reason.
      expect(report.collections[0]?.checks[0]?.publicMessage).not.toMatch(/canary/);
    } finally {
      (python as { canaryDir?: string }).canaryDir = original;
    }
  } finally {
    fs.rmSync(broken, { recursive: true, force: true });
  }
});

test('a language whose runtime is missing fails as an infrastructure error naming it, never as the student\'s failure', async () => {
  const r = languageById('r') as TLanguagePlugin;
  const probe = r.probeRuntime;
  (r as { probeRuntime: TLanguagePlugin['probeRuntime'] }).probeRuntime = async () => ({ available: false, reason: 'Rscript not found on PATH' });
  try {
    await assessLanguages(resolveGraderConfig(), { canary: false });
    const example = path.resolve(REPO_ROOT, '../shared/conformance/computor-examples/itpcp.pgph.r/itpcp.pgph.r.simple_computations');
    const report = await gradeSubmission({ exampleDir: example, submissionDir: example });
    const checks = report.collections.flatMap((c) => c.checks);
    expect(checks.every((k) => k.status === 'infra_error' && k.message === 'this worker cannot grade r: Rscript not found on PATH')).toBe(true);
  } finally {
    (r as { probeRuntime: TLanguagePlugin['probeRuntime'] }).probeRuntime = probe;
  }
});
