/** Polls `probe` every `intervalMs` until it answers something truthy, which it returns; throws naming `what` after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 90_000, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * One commit through GitLab's Commits API creating or updating `files` (path -> text) on `branch`
 * (created from `main` when it does not exist): a push, as far as GitLab's hooks go. `existing`
 * holds the paths already on the branch (or on main for a new branch). Answers the commit id.
 */
export async function commitFiles(gitlab: { url: string; token: string }, projectId: number, files: Record<string, string>, options: { branch?: string; newBranch?: boolean; existing: Iterable<string> }): Promise<string> {
  const existing = new Set(options.existing);
  const branch = options.branch ?? 'main';
  const res = await fetch(`${gitlab.url}/api/v4/projects/${projectId}/repository/commits`, {
    method: 'POST',
    headers: { 'PRIVATE-TOKEN': gitlab.token, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      branch,
      ...(options.newBranch ? { start_branch: 'main' } : {}),
      commit_message: 'work',
      actions: Object.entries(files).map(([file_path, content]) => ({ action: existing.has(file_path) ? 'update' : 'create', file_path, content })),
    }),
  });
  if (res.status !== 201) throw new Error(`the commit answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
