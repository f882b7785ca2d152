/* eslint-disable @typescript-eslint/no-explicit-any -- JSON bodies of our own API, printed rather than computed on */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar } from '@computor/archive';
import { formatDuration, formatPercent, formatProgress, formatScore } from '@computor/contracts';
import { flag, requiredFlag, UsageError, type ParsedArgs } from './args';

interface Credentials {
  admin: { token: string };
  lecturer: { token: string };
  student: { token: string; username: string };
  demo?: { courseId: string };
}

// The demo packs a conformance example and two hand-ins.
const tarGz = (files: Array<{ path: string; data: Buffer }>): Buffer => gzipSync(writeTar(files.map((f) => ({ name: f.path, data: f.data }))));

function filesUnder(dir: string, prefix: string): Array<{ path: string; data: Buffer }> {
  const out: Array<{ path: string; data: Buffer }> = [];
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, `${prefix}${name}/`));
    else out.push({ path: `${prefix}${name}`, data: readFileSync(full) });
  }
  return out;
}

class Api {
  constructor(
    private readonly base: string,
    private readonly say: (line: string) => void,
  ) {}

  async call<T = any>(token: string, method: string, route: string, body?: unknown, okStatuses = [200, 201, 202]): Promise<{ status: number; body: T }> {
    let payload: RequestInit['body'];
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await fetch(`${this.base}${route}`, { method, headers, body: payload });
    const json = (await res.json().catch(() => null)) as T;
    if (!okStatuses.includes(res.status)) throw new Error(`${method} ${route} answered ${res.status}: ${JSON.stringify(json)}`);
    return { status: res.status, body: json };
  }

  /** Follows a workflow to its end through the API, printing its progress. */
  async wait(token: string, workflowId: string): Promise<any> {
    let lastProgress = '';
    for (;;) {
      const { body } = await this.call(token, 'GET', `/workflows/${encodeURIComponent(workflowId)}/result?wait=2`);
      if (body.progress && JSON.stringify(body.progress) !== lastProgress) {
        lastProgress = JSON.stringify(body.progress);
        this.say(`      progress ${formatProgress(body.progress.done, body.progress.total, 'done')}`);
      }
      if (body.status === 'COMPLETED') return body.result;
      if (body.status !== 'RUNNING') throw new Error(`workflow ${workflowId} ended ${body.status}: ${body.failure?.message ?? ''}`);
    }
  }
}

const EXAMPLE = 'itpcp.pgph.py/itpcp.pgph.py.slogic';

/** GitLab for the demo's pushes: GITLAB_URL and GITLAB_TOKEN (flags, environment, or the stack's stack.env beside the credentials). */
function gitlabAccess(args: ParsedArgs) {
  const envFile = path.join(path.dirname(requiredFlag(args, 'credentials')), 'stack.env');
  const fromFile = existsSync(envFile) ? Object.fromEntries(readFileSync(envFile, 'utf8').split('\n').flatMap((l) => (/^([A-Z_]+)=(.*)$/.exec(l) ? [[RegExp.$1, RegExp.$2]] : []))) : {};
  const url = flag(args, 'gitlab-url') ?? process.env.GITLAB_URL ?? fromFile.GITLAB_URL;
  const token = process.env.GITLAB_TOKEN ?? fromFile.GITLAB_TOKEN;
  if (!url || !token) throw new UsageError('the demo pushes to GitLab: set GITLAB_URL and GITLAB_TOKEN (the stack writes them to stack.env beside the credentials)');
  return {
    /** One commit on main that creates or updates the file: a push, as far as GitLab's hooks go. */
    async commit(projectId: number, filePath: string, text: string, message: string): Promise<string> {
      const headers = { 'PRIVATE-TOKEN': token, 'Content-Type': 'application/json' };
      const file = await fetch(`${url}/api/v4/projects/${projectId}/repository/files/${encodeURIComponent(filePath)}?ref=main`, { headers });
      const action = file.status === 200 ? 'update' : 'create';
      const res = await fetch(`${url}/api/v4/projects/${projectId}/repository/commits`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ branch: 'main', commit_message: message, actions: [{ action, file_path: filePath, content: text }] }),
      });
      const body = (await res.json().catch(() => null)) as { id?: string } | null;
      if (res.status !== 201 || !body?.id) throw new Error(`GitLab refused the commit: ${res.status} ${JSON.stringify(body)}`);
      return body.id;
    },
  };
}

/** Follows a pushed commit through the API: its hand-in, its place in the queue, its result. */
async function followHandIn(api: Api, token: string, courseId: string, contentId: string, sha: string, out: (line: string) => void): Promise<any> {
  let last = '';
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const { body } = await api.call(token, 'GET', `/courses/${courseId}/contents/${contentId}/submissions`);
    const handIn = body.items.find((s: any) => s.commit_sha === sha);
    const run = handIn?.results.find((r: any) => r.queue.state !== 'superseded');
    const q = run?.queue;
    const line = !handIn ? 'waiting for the push hook' : !run ? 'handed in; queueing its test run' : q.state === 'queued' ? `queued: position ${q.position}${q.estimate_seconds !== null ? `, about ${q.estimate_seconds} s` : ''}` : q.state;
    if (line !== last) out(`      ${line}`);
    last = line;
    if (run && ['done', 'failed', 'cancelled'].includes(q.state)) return (await api.call(token, 'GET', `/results/${run.id}`)).body;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`no result for the push ${sha} within 300 s`);
}

/**
 * `computor demo --api <url> --credentials <file> [--examples <dir>]`: the whole journey through the
 * API of a running system (`scripts/run.sh`): course set up in GitLab, a conformance example
 * uploaded and verified, released, a student added (fork with its push hook), a correct and a
 * wrong solution pushed to the student's repository and graded on push, then the deadline, which
 * locks the repository and records the final hand-in.
 * Safe to run again: every step reuses what exists.
 */
export async function demoCommand(args: ParsedArgs, out: (line: string) => void): Promise<number> {
  const base = requiredFlag(args, 'api').replace(/\/$/, '');
  const creds = JSON.parse(readFileSync(requiredFlag(args, 'credentials'), 'utf8')) as Credentials;
  if (!creds.demo?.courseId) throw new UsageError('the credentials file has no demo course: run `computor dev seed` against the stack with the GitLab emulator');
  const examplesRoot = flag(args, 'examples') ?? path.resolve(__dirname, '../../../../../shared/conformance/computor-examples');
  const exampleDir = path.join(examplesRoot, EXAMPLE);
  const api = new Api(base, out);
  const courseId = creds.demo.courseId;
  const lecturer = creds.lecturer.token;
  const student = creds.student.token;
  const started = Date.now();
  const stepLine = (n: number, text: string) => out(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${n}. ${text}`);

  stepLine(1, 'set up the course in GitLab (groups, student-template, assignments)');
  const setup = await api.call(lecturer, 'POST', `/courses/${courseId}/setup-gitlab`);
  const hierarchy = await api.wait(lecturer, setup.body.workflow_id);
  out(`      student-template: ${hierarchy.studentTemplate.webUrl}`);

  stepLine(2, `upload the example ${path.basename(EXAMPLE)} and verify it in the sandbox`);
  const form = new FormData();
  form.append('course_id', courseId);
  form.append('archive', new Blob([tarGz(filesUnder(exampleDir, `${path.basename(EXAMPLE)}/`))]), 'example.tar.gz');
  const uploaded = await api.call(lecturer, 'POST', '/examples', form);
  const version = uploaded.body.examples[0].version;
  out(`      ${uploaded.status === 201 ? 'stored' : 'already stored'}: version ${version.versionTag} (${version.fileCount} files)`);
  const verify = await api.call(lecturer, 'POST', `/examples/${uploaded.body.examples[0].id}/versions/${encodeURIComponent(version.versionTag)}/verify`, {});
  const verification = await api.wait(lecturer, verify.body.workflow_id);
  out(`      verification: ${verification.status}: ${verification.message}`);
  for (const h of verification.handIns ?? []) out(`        ${h.handIn}: ${formatPercent(h.score)}, ${h.summary.passed}/${h.summary.total} checks passed`);

  stepLine(3, 'create the assignment, release it into student-template');
  const contents = await api.call(lecturer, 'GET', `/courses/${courseId}/contents`);
  let content = contents.body.items.find((c: { path: string }) => c.path === 'week1.slogic');
  if (!content) content = (await api.call(lecturer, 'POST', `/courses/${courseId}/contents`, { path: 'week1.slogic', title: 'Sentential logic', maxTestRuns: 100 })).body;
  await api.call(lecturer, 'PUT', `/courses/${courseId}/contents/${content.id}/example`, { exampleVersionId: version.id });
  const release = await api.call(lecturer, 'POST', `/courses/${courseId}/student-template`, { course_content_ids: [content.id] });
  const released = await api.wait(lecturer, release.body.workflow_id);
  out(`      released in commit ${String(released?.commitSha ?? released?.sha ?? JSON.stringify(released)).slice(0, 80)}`);

  stepLine(4, 'add the student: fork of student-template, Maintainer access');
  const me = await api.call(student, 'GET', '/me');
  const added = await api.call(lecturer, 'POST', `/courses/${courseId}/members`, { userId: me.body.id, role: 'student' }, [202, 409]);
  if (added.status === 202) {
    const fork = await api.wait(lecturer, added.body.workflow_id);
    out(`      repository ${fork.webUrl} (${fork.provisioning})`);
  } else out('      already a member');

  // A deadline ahead (set again on every run, which reopens the assignment of an earlier run).
  await api.call(lecturer, 'PUT', `/courses/${courseId}/contents/${content.id}/deadline`, { dueAt: new Date(Date.now() + 600_000).toISOString(), latePolicy: 'accept' });
  const repository = (await api.call(student, 'GET', '/me')).body.memberships.find((m: any) => m.courseId === courseId)?.repository;
  if (!repository) throw new Error('the student has no repository: the fork did not finish');
  const gitlab = gitlabAccess(args);
  const results: Array<{ label: string; result: any }> = [];
  for (const [n, label, file] of [
    [5, 'correct', 'localTests/correctSolution/slogic.py'],
    [6, 'wrong', 'localTests/gptSolution/slogic.py'],
  ] as const) {
    stepLine(n, `push a ${label} solution to ${repository.path}: GitLab's push hook hands it in`);
    const sha = await gitlab.commit(repository.projectId, `${content.directory ?? path.basename(EXAMPLE)}/slogic.py`, readFileSync(path.join(exampleDir, file), 'utf8'), `${label} solution`);
    out(`      pushed ${sha.slice(0, 8)}`);
    const result = await followHandIn(api, student, courseId, content.id, sha, out);
    results.push({ label, result });
  }

  stepLine(7, 'the deadline arrives: the repository is locked, the last on-time hand-in is the final one');
  const dueAt = new Date(Date.now() + 5_000);
  await api.call(lecturer, 'PUT', `/courses/${courseId}/contents/${content.id}/deadline`, { dueAt: dueAt.toISOString(), latePolicy: 'accept' });
  out(`      due at ${dueAt.toISOString()}`);
  const lockDeadline = Date.now() + 60_000;
  for (;;) {
    const row = (await api.call(lecturer, 'GET', `/courses/${courseId}/contents/${content.id}/deadline`)).body.students.find((s: any) => s.username === creds.student.username);
    if (row?.repository_locked_at) {
      out(`      locked ${formatDuration(new Date(row.repository_locked_at).getTime() - dueAt.getTime())} after the due time; final hand-in ${String(row.final_submission_id).slice(0, 8)}`);
      break;
    }
    if (Date.now() > lockDeadline) throw new Error('the repository was not locked within 60 s of its due time');
    await new Promise((r) => setTimeout(r, 500));
  }

  out('');
  for (const { label, result } of results) {
    const failed = (result.report?.collections ?? []).flatMap((c: { name: string; checks: Array<{ name: string; status: string }> }) =>
      c.checks.filter((k) => k.status !== 'passed').map((k) => `${c.name} / ${k.name}: ${k.status}`),
    );
    out(`${label.padEnd(8)} score ${formatScore(result.score, result.summary)}${failed.length ? `; failing: ${failed.join('; ')}` : ''}`);
  }
  out(`done in ${formatDuration(Date.now() - started)}`);
  return 0;
}
