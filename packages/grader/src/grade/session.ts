import fs from 'node:fs';

/**
 * What the collections of one hand-in share when they are graded in separate calls (one Temporal
 * activity each): the runs (a student's program is compiled, and an interpreter started, once for
 * every collection that needs that run, as in gradeSubmission), the expressions planned for each
 * run, and the scratch directories of compiled programs, removed when the session ends.
 */
export class GradingSession {
  readonly memo = new Map<string, Promise<unknown>>();
  readonly plannedExpressions = new Map<string, Set<string>>();
  readonly scratchDirs: string[] = [];
  readonly runtimes = new Map<string, unknown>();
  /** The language's planRuns ran for every collection of the example. */
  planned = false;
  users = 0;
  lastUsed = Date.now();

  dispose(): void {
    for (const dir of this.scratchDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    this.memo.clear();
  }
}

/**
 * Sessions by hand-in (example content hash + submission directory). A session lives while a
 * collection of its hand-in is being graded and `idleMs` after the last one; at most `max` idle
 * sessions are kept (the oldest go first), so held runs (outputs, values) stay bounded.
 */
export class GradingSessions {
  private readonly sessions = new Map<string, GradingSession>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: { idleMs?: number; max?: number } = {}) {}

  acquire(key: string): GradingSession {
    let session = this.sessions.get(key);
    if (!session) {
      session = new GradingSession();
      this.sessions.set(key, session);
    }
    session.users += 1;
    session.lastUsed = Date.now();
    return session;
  }

  release(session: GradingSession): void {
    session.users = Math.max(0, session.users - 1);
    session.lastUsed = Date.now();
    // Discarded while in use: ends with its last user.
    if (session.users === 0 && ![...this.sessions.values()].includes(session)) session.dispose();
    this.sweep();
  }

  /** Ends a session now (its runs are not to be reused, e.g. after an infrastructure failure). */
  discard(session: GradingSession): void {
    for (const [key, value] of this.sessions) if (value === session) this.sessions.delete(key);
    if (session.users === 0) session.dispose();
    else session.memo.clear(); // its scratch directories go with its last user (release)
  }

  /** Ends idle sessions past their time, and the oldest idle ones beyond `max`. */
  sweep(now = Date.now()): void {
    const idleMs = this.options.idleMs ?? 60_000;
    const idle = [...this.sessions.entries()].filter(([, s]) => s.users === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    let excess = idle.length - (this.options.max ?? 16);
    for (const [key, session] of idle) {
      if (excess > 0 || now - session.lastUsed >= idleMs) {
        session.dispose();
        this.sessions.delete(key);
        excess -= 1;
      }
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if ([...this.sessions.values()].some((s) => s.users === 0)) {
      this.timer = setTimeout(() => this.sweep(), idleMs).unref();
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const session of this.sessions.values()) session.dispose();
    this.sessions.clear();
  }
}
