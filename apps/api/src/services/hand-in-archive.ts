import { httpStatusFor, isArchiveError, readArchive, stripCommonRoot, type TArchiveFile } from '@computor/archive';
import { badRequest, HttpError } from '../http/errors';

/**
 * Hand-ins are often zipped with their folder (`project/main.py`): that one shared folder is
 * dropped unless the assignment's own submission files live under it.
 */
function normaliseLayout(files: TArchiveFile[], submissionFiles: string[]): TArchiveFile[] {
  const stripped = stripCommonRoot(files);
  if (stripped === files || stripped.every((f, i) => f.path === files[i]!.path)) return files;
  const root = files[0]!.path.split('/')[0]!;
  return submissionFiles.some((p) => p.split('/')[0] === root) ? files : stripped;
}

function submissionFilesOf(meta: unknown): string[] {
  const list = (meta as { properties?: { studentSubmissionFiles?: unknown } } | null)?.properties?.studentSubmissionFiles;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * The files of an uploaded hand-in archive (student hand-ins and tutor test runs alike): hostile
 * or oversized archives 400/413 naming the entry, the layout normalised against the example's
 * submission files, an archive without files 400.
 */
export async function readHandInArchive(archive: Buffer, options: { maxBytes: number; exampleMeta: unknown; field: string }): Promise<TArchiveFile[]> {
  let files: TArchiveFile[];
  try {
    files = await readArchive(archive, { maxArchiveBytes: options.maxBytes });
  } catch (error) {
    if (isArchiveError(error)) {
      throw new HttpError(httpStatusFor(error.code), httpStatusFor(error.code) === 413 ? 'payload_too_large' : 'validation_failed', `Archive refused: ${error.message}`, {
        code: error.code,
        ...(error.entry !== undefined ? { entry: error.entry } : {}),
      });
    }
    throw error;
  }
  files = normaliseLayout(files, submissionFilesOf(options.exampleMeta));
  if (files.length === 0) throw badRequest('The archive contains no files.', [{ path: options.field, message: 'the archive contains no files' }]);
  return files;
}
