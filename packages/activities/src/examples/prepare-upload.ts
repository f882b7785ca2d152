import { ZExampleIdentifier, ZExampleVersionTag } from '@computor/contracts';
import { validateExampleFiles, type TMeta } from '@computor/grader';
import { exampleContentHash } from './content-hash';

export interface TUploadFile {
  path: string;
  data: Buffer;
}

/** One problem of an uploaded archive; `file` is the path inside the archive. */
export interface TUploadProblem {
  file: string;
  path: string;
  message: string;
}

export interface TPreparedExample {
  /** Directory of the example inside the archive ('' for the archive root). */
  directory: string;
  identifier: string;
  versionTag: string;
  title: string;
  description: string | null;
  meta: TMeta;
  /** Files relative to the example directory. */
  files: TUploadFile[];
  contentHash: string;
  totalBytes: number;
}

export type TPreparedUpload = { ok: true; examples: TPreparedExample[] } | { ok: false; problems: TUploadProblem[] };

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const inside = (path: string, dir: string) => dir === '' || path.startsWith(`${dir}/`);

/**
 * Splits an archive's files into examples (every directory holding a meta.yaml that is not inside
 * another example) and validates each with the grader's schemas. Collects every problem of every
 * example (file paths are archive paths) instead of stopping at the first.
 */
export function prepareExampleUpload(files: readonly TUploadFile[]): TPreparedUpload {
  const problems: TUploadProblem[] = [];
  const roots = files
    .filter((f) => f.path === 'meta.yaml' || f.path.endsWith('/meta.yaml'))
    .map((f) => dirOf(f.path))
    .sort((a, b) => a.length - b.length)
    .filter((dir, i, all) => !all.slice(0, i).some((outer) => outer !== dir && inside(dir, outer)));
  if (roots.length === 0) problems.push({ file: '(archive)', path: '(archive)', message: 'no example directory (a directory with meta.yaml and test.yaml) found' });
  for (const f of files) {
    if (!roots.some((r) => inside(f.path, r))) problems.push({ file: f.path, path: '(file)', message: 'outside any example directory' });
  }
  const examples: TPreparedExample[] = [];
  const seen = new Map<string, string>();
  for (const dir of roots) {
    const own = files.filter((f) => inside(f.path, dir)).map((f) => ({ path: dir ? f.path.slice(dir.length + 1) : f.path, data: f.data }));
    const text = (name: string) => own.find((f) => f.path === name)?.data.toString('utf8');
    const validation = validateExampleFiles({
      ...(text('meta.yaml') !== undefined ? { 'meta.yaml': text('meta.yaml')! } : {}),
      ...(text('test.yaml') !== undefined ? { 'test.yaml': text('test.yaml')! } : {}),
    }, { strictLanguage: true });
    const local: TUploadProblem[] = validation.errors.map((e) => ({ file: join(dir, e.file), path: e.path, message: e.message }));
    const meta = validation.meta;
    if (meta) {
      const identifier = ZExampleIdentifier.safeParse(meta.identifier);
      if (!identifier.success) local.push({ file: join(dir, 'meta.yaml'), path: 'identifier', message: meta.identifier === undefined ? 'required' : identifier.error.issues[0]!.message });
      const version = ZExampleVersionTag.safeParse(meta.version === undefined ? undefined : String(meta.version));
      if (!version.success) local.push({ file: join(dir, 'meta.yaml'), path: 'version', message: meta.version === undefined ? 'required' : version.error.issues[0]!.message });
      const present = new Set(own.map((f) => f.path));
      const listed = (key: 'additionalFiles' | 'studentTemplates') =>
        meta.properties[key].forEach((entry, i) => {
          if (!present.has(entry) && !own.some((f) => f.path.startsWith(`${entry.replace(/\/+$/, '')}/`))) {
            local.push({ file: join(dir, 'meta.yaml'), path: `properties.${key}[${i}]`, message: `"${entry}" is not in the example` });
          }
        });
      listed('additionalFiles');
      listed('studentTemplates');
      if (identifier.success) {
        const other = seen.get(identifier.data);
        if (other !== undefined) local.push({ file: join(dir, 'meta.yaml'), path: 'identifier', message: `"${identifier.data}" is also the identifier of ${other || '(archive root)'}` });
        seen.set(identifier.data, dir);
      }
      if (local.length === 0 && identifier.success && version.success) {
        examples.push({
          directory: dir,
          identifier: identifier.data,
          versionTag: version.data,
          title: meta.title !== undefined ? String(meta.title) : identifier.data,
          description: meta.description != null ? String(meta.description) : null,
          meta,
          files: own,
          contentHash: exampleContentHash(own),
          totalBytes: own.reduce((n, f) => n + f.data.length, 0),
        });
      }
    }
    problems.push(...local);
  }
  return problems.length ? { ok: false, problems } : { ok: true, examples };
}
