import { ARCHIVE_FORMATS, BZIP2_FORMATS, buildArchive, type TArchiveEntry, type TArchiveFormat } from '../archive';
import { ApiError, notFound } from '../errors';
import { str } from '../params';
import { normalizePath } from '../repository';
import { authorizeReadCode, readableProjectOr404 } from './access';
import type { TRequestContext, TResult, TRoute } from './common';

// GET /projects/:id/repository/archive[.format] (lib/api/repositories.rb + Workhorse + Gitaly).

function archive(ctx: TRequestContext): TResult {
  const project = readableProjectOr404(ctx, ctx.params.id);
  authorizeReadCode(ctx, project);
  // The suffix picks the format; Grape also reads ?format= when there is none.
  const format = (ctx.params.format ?? str(ctx.input, 'format') ?? 'tar.gz').toLowerCase();
  if ((BZIP2_FORMATS as readonly string[]).includes(format)) {
    throw new ApiError(406, { message: `406 Not Acceptable: the emulator does not write ${format} archives (no bzip2 in Node)` });
  }
  if (!(ARCHIVE_FORMATS as readonly string[]).includes(format)) throw new ApiError(404, { error: '404 Not Found' });

  // send_git_archive raises on an unknown ref and the endpoint rescues everything as 404 File Not Found.
  const ref = str(ctx.input, 'sha') || project.defaultBranch;
  const commit = ref === 'HEAD' ? project.repo.resolve(project.defaultBranch) : project.repo.resolve(ref);
  if (!commit) throw notFound('File');

  const rawPath = str(ctx.input, 'path');
  const dir = rawPath === undefined ? '' : normalizePath(rawPath);
  const inScope = (p: string) => !dir || p === dir || p.startsWith(`${dir}/`);
  const files = Object.keys(commit.files).filter(inScope);
  // Gitaly refuses a path that is not in the tree (FailedPrecondition); see README for the status.
  if (files.length === 0 && dir) throw notFound('File');

  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i += 1) dirs.add(`${parts.slice(0, i).join('/')}/`);
  }
  const entries: TArchiveEntry[] = [
    ...[...dirs].map((d) => ({ path: d, mode: '040000' })),
    ...files.map((f) => {
      const file = project.repo.fileAt(commit, f);
      return { path: f, data: file?.content, mode: file?.mode ?? '100644' };
    }),
  ];
  // Byte order of paths with directories ending in '/' is git's tree order, as git archive walks it.
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  // Gitlab::Git::Repository#archive_prefix with append_sha: true; `path` keeps its quirk of only
  // turning '/' into '-' (the following gsub of leading/trailing '/' can no longer match).
  const segments = [project.path, ref.replace(/\//g, '-'), commit.id];
  if (rawPath !== undefined) segments.push(rawPath.replace(/\//g, '-'));
  const prefix = segments.join('-');
  const mtime = Math.floor(Date.parse(commit.committedDate) / 1000);
  const { data, contentType } = buildArchive(format as TArchiveFormat, prefix, entries, commit.id, mtime);
  return {
    status: 200,
    raw: { data, contentType },
    headers: {
      'content-disposition': `attachment; filename="${prefix}.${format}"`,
      'content-transfer-encoding': 'binary',
    },
  };
}

export const archiveRoutes: TRoute[] = [
  { method: 'GET', pattern: '/projects/:id/repository/archive', handler: archive },
  { method: 'GET', pattern: '/projects/:id/repository/archive.:format', handler: archive },
];
