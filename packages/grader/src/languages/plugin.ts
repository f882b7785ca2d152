import type { TGraderConfig } from '../config';
import type { TResolvedCollection } from '../example/resolve';
import type { TCollectionOutcome } from '../grade/common';
import type { TGradeContext } from '../grade/context';

/** Whether this machine can run a language's graded code, and what it found. */
export interface TRuntimeStatus {
  available: boolean;
  /** Version line of the runtime, when available (e.g. "GNU Octave 7.3.0"). */
  version?: string | undefined;
  /** Why not, in an operator's terms (e.g. "octave-cli not found on PATH"). */
  reason?: string | undefined;
}

/**
 * One language the grader grades. Everything language-specific lives in its folder
 * (`languages/<id>/`: runner, driver, collection grading, value decoding) and is reached through
 * this interface only; shared parts (value comparison, output, structural and exist checks,
 * aggregation, the reference cache) live outside. Adding a language is adding a folder and one
 * line in `registry.ts`.
 */
export interface TLanguagePlugin {
  /** Canonical id, as reported (`environment.language`) and used in metrics: `python`, `octave`, ... */
  id: string;
  /**
   * Names an example may declare it by: test.yaml `type`, meta.yaml `executionBackend.slug` (its
   * last dot-separated part, e.g. `itpcp.exec.oct` → `oct`), compared case-insensitively.
   */
  aliases: readonly string[];
  /** Entry or source file names that identify the language when nothing declares it. */
  fileNames: RegExp;
  /**
   * Collection types an example of this language may use. Upload rejects others (the field is
   * named); a listed type the grader cannot evaluate here is graded as skipped with the reason.
   */
  collectionTypes: readonly string[];
  /** Whether grading compiles first (activity budgets add compile time for student and reference). */
  compiled: boolean;
  /**
   * How a purely numeric successDependency/setUpCodeDependency that is no collection's `name` or
   * `id` counts collections: from 0 (default) or from 1 (the original's Octave tester, decision O8).
   */
  dependencyIndexBase?: 0 | 1;
  /**
   * The plug-in grades what it can without its runtime and reports the rest itself (Julia: skipped
   * with the reason); otherwise a hand-in for a language whose runtime is missing, or whose canary
   * failed, fails as an infrastructure error with that reason.
   */
  gradesWithoutRuntime?: boolean;
  /** Probes the runtime (binaries, packages) once per process; cached by the registry. */
  probeRuntime(config: TGraderConfig): Promise<TRuntimeStatus>;
  /** Grades one collection; throws only on the grader's own bugs (reported as infra errors). */
  gradeCollection(ctx: TGradeContext, collection: TResolvedCollection): Promise<TCollectionOutcome>;
  /** Optional: lets collections sharing a run declare what they need before any runs (Python merges expressions). */
  planRuns?(ctx: TGradeContext, collections: readonly TResolvedCollection[]): void;
  /**
   * Directory of a small example (meta.yaml, test.yaml, reference solution at its root, and
   * `localTests/wrongSolution/`) that the worker grades at start: the reference must score 1.0 and
   * the wrong solution below it, else the worker takes none of this language's hand-ins.
   */
  canaryDir?: string | undefined;
}
