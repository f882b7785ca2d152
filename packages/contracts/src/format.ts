// Numbers for people: CLI tables, the demo, log and error messages, benchmark summaries. JSON
// (--json output, results files, API fields) keeps the raw values; these are for text only.

/**
 * A ratio in [0, 1] as a percentage with one decimal: `94.3 %`. Only an exact 1 reads `100 %` and
 * only an exact 0 reads `0 %`, so rounding never makes an incomplete result look complete.
 */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '– %';
  if (ratio >= 1) return '100 %';
  if (ratio <= 0) return '0 %';
  const tenths = Math.min(999, Math.max(1, Math.round(ratio * 1000)));
  return `${(tenths / 10).toFixed(1)} %`;
}

/** A score: `94.3 %`, or `33/35 (94.3 %)` when the counts behind it are known. */
export function formatScore(score: number, counts?: { passed: number; total: number }): string {
  return counts ? `${counts.passed}/${counts.total} (${formatPercent(score)})` : formatPercent(score);
}

/** A duration: `850 ms` below a second, `1.23 s` below a minute, `2 min 05 s` above. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_995) return `${(ms / 1000).toFixed(2)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** `12/200 graded`, with the percentage once there are enough items for it to say something. */
export function formatProgress(done: number, total: number, what: string): string {
  return total >= 10 ? `${done}/${total} ${what} (${Math.floor((done / total) * 100)} %)` : `${done}/${total} ${what}`;
}
