export interface TReadmeEntry {
  path: string;
  title: string;
  directory: string;
  position: number;
}

/** The root README of a release repository: the released assignments in course order. */
export function renderRootReadme(heading: string, entries: readonly TReadmeEntry[]): string {
  const sorted = [...entries].sort((a, b) => a.position - b.position || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const lines = [`# ${heading}`, ''];
  if (sorted.length === 0) lines.push('No assignments have been released yet.');
  else {
    lines.push('| Assignment | Path | Directory |', '| --- | --- | --- |');
    for (const e of sorted) lines.push(`| ${e.title.replace(/\|/g, '\\|')} | \`${e.path}\` | [${e.directory}](${e.directory}/) |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What a release commits: the wanted files, and the files to delete (present under a released
 * directory but no longer wanted). Files outside the released directories are left alone.
 */
export function releaseDiff(
  wanted: ReadonlyArray<{ filePath: string }>,
  present: readonly string[],
  directories: readonly string[],
): string[] {
  const keep = new Set(wanted.map((w) => w.filePath));
  return present.filter((p) => directories.some((d) => p.startsWith(`${d}/`)) && !keep.has(p)).sort();
}
