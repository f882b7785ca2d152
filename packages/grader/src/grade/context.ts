import fs from 'node:fs';
import type { TSandboxLimits } from '@computor/contracts';
import type { TGraderConfig } from '../config';
import type { TExample } from '../example/load-example';
import type { TResolvedCollection } from '../example/resolve';
import { listRegularFiles, regularFileInside, UnsafePathError } from '../files';
import { effectiveLimits, type TEffectiveLimits } from '../sandbox/limits';
import type { Sandbox, TSandboxFile } from '../sandbox/sandbox';
import type { TReferenceCache } from './reference-cache';

export type TSide = 'student' | 'reference';

/** Everything one grading (of one submission, or of one collection of it) shares. */
export interface TGradeContext {
  example: TExample;
  submissionDir: string;
  config: TGraderConfig;
  limits: TSandboxLimits;
  sandbox: Sandbox;
  signal: AbortSignal | undefined;
  referenceCache: TReferenceCache | undefined;
  /** Runs shared by collections with identical run parameters, keyed by side and parameters. */
  memo: Map<string, Promise<unknown>>;
  /** Union of the expressions every collection needs from a run key, so one run serves them all. */
  plannedExpressions: Map<string, Set<string>>;
  /** Host directories (compiled programs) to remove when grading ends. */
  scratchDirs: string[];
  /** Per-language runtime descriptions (interpreter paths, binds), made once per grading. */
  runtimes: Map<string, unknown>;
  /** Grading a canary: not gated on the language's health. */
  canary: boolean;
  /** Set when the runs are shared with other calls for the same hand-in (grade/session.ts). */
  session?: unknown;
}

/** A language's runtime description, made by `make` on first use in this grading. */
export function runtimeEnvironment<T>(ctx: TGradeContext, language: string, make: () => T): T {
  if (!ctx.runtimes.has(language)) ctx.runtimes.set(language, make());
  return ctx.runtimes.get(language) as T;
}

export function memoize<T>(ctx: TGradeContext, key: string, make: () => Promise<T>): Promise<T> {
  let existing = ctx.memo.get(key) as Promise<T> | undefined;
  if (!existing) {
    const made = make();
    ctx.memo.set(key, made);
    // A failed (e.g. cancelled) run is not kept: the next collection that needs it runs it again.
    made.catch(() => {
      if (ctx.memo.get(key) === made) ctx.memo.delete(key);
    });
    existing = made;
  }
  return existing;
}

export function runLimits(ctx: TGradeContext, collection: TResolvedCollection, kind: 'run' | 'compile' = 'run'): TEffectiveLimits {
  return effectiveLimits(ctx.limits, ctx.example.meta.properties.executionBackend?.settings ?? undefined, {
    kind,
    timeoutSeconds: collection.timeoutSeconds,
  });
}

export interface TFileSet {
  files: TSandboxFile[];
  /** Relative paths present in the set. */
  present: Set<string>;
  /** Problems that make the hand-in unusable (symlinks, size). */
  problems: string[];
}

const MAX_FALLBACK_FILES = 200;

async function addFrom(root: string, rel: string, set: TFileSet): Promise<void> {
  if (set.present.has(rel)) return;
  try {
    const real = await regularFileInside(root, rel);
    if (!real) return;
    set.files.push({ path: rel, hostPath: real });
    set.present.add(rel);
  } catch (error) {
    if (error instanceof UnsafePathError) set.problems.push(error.message);
    else throw error;
  }
}

/**
 * Files a run sees in its work directory. Student: the submitted files plus the example's
 * additionalFiles. Reference: the example's submission files, additionalFiles and testFiles.
 * Never test.yaml, meta.yaml, localTests/ or anything else of the example.
 */
export function fileSet(ctx: TGradeContext, side: TSide): Promise<TFileSet> {
  return memoize(ctx, `files:${side}`, async () => {
    const props = ctx.example.meta.properties;
    const set: TFileSet = { files: [], present: new Set(), problems: [] };
    if (side === 'student') {
      let submitted = props.studentSubmissionFiles;
      if (submitted.length === 0) {
        submitted = (await listRegularFiles(ctx.submissionDir, { exclude: (rel) => rel.split('/').some((part) => part.startsWith('.')) })).slice(0, MAX_FALLBACK_FILES);
      }
      for (const rel of submitted) await addFrom(ctx.submissionDir, rel, set);
      for (const rel of props.additionalFiles) await addFrom(ctx.example.dir, rel, set);
    } else {
      for (const rel of [...props.studentSubmissionFiles, ...props.additionalFiles, ...props.testFiles]) await addFrom(ctx.example.dir, rel, set);
    }
    const total = set.files.reduce((sum, file) => sum + (file.hostPath ? fs.statSync(file.hostPath).size : 0), 0);
    const budget = ctx.limits.workDirMb * 1024 * 1024 * 0.9;
    if (total > budget) set.problems.push(`the files of this run take ${total} bytes, more than the work directory allows`);
    return set;
  });
}

/** Directory whose files a side's structural/exist checks inspect. */
export function sideRoot(ctx: TGradeContext, side: TSide): string {
  return side === 'student' ? ctx.submissionDir : ctx.example.dir;
}

/**
 * Declares, before any run, what every collection needs from the run its key names, so that
 * collections with equal keys share one run that reports all of it (interpreted languages).
 */
export function planRuns(
  ctx: TGradeContext,
  collections: readonly TResolvedCollection[],
  wanted: (collection: TResolvedCollection) => { student: string[]; reference: string[] },
  runKey: (collection: TResolvedCollection, side: TSide) => string,
): void {
  for (const collection of collections) {
    const { student, reference } = wanted(collection);
    for (const [side, names] of [['student', student], ['reference', reference]] as const) {
      const key = runKey(collection, side);
      const planned = ctx.plannedExpressions.get(key) ?? new Set<string>();
      names.forEach((name) => planned.add(name));
      ctx.plannedExpressions.set(key, planned);
    }
  }
}
