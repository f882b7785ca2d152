export { ARCHIVE_ERROR_CODES, ArchiveError, httpStatusFor, isArchiveError, type TArchiveErrorCode, ZArchiveErrorCode } from './errors';
export { DEFAULT_ARCHIVE_LIMITS, type TArchiveLimits, type TArchiveLimitsInput, ZArchiveLimits } from './limits';
export { detectArchiveFormat, type TArchiveFormat } from './detect-format';
export { type TArchiveContents, type TArchiveFile } from './entry-collector';
export { readArchive, readArchiveContents } from './read-archive';
export { extractArchive } from './extract-archive';
export { stripCommonRoot } from './strip-common-root';
export { tarHeader, writeTar, type TTarEntry } from './tar-writer';
