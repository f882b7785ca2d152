import path from 'node:path';
import { gradeCompiledCollection } from '../../grade/compiled-collection';
import type { TLanguagePlugin } from '../plugin';
import { probeBinary } from '../probe';
import { FORTRAN_LANGUAGE } from './language';

/** Fortran: compiled with gfortran in the sandbox, graded by the shared compiled-language path. */
export const fortran: TLanguagePlugin = {
  id: 'fortran',
  aliases: ['fortran', 'f90', 'f95', 'f03', 'f08', 'f'],
  fileNames: /\.(f|for|ftn|f90|f95|f03|f08|f18)$/i,
  collectionTypes: ['stdout', 'stderr', 'stdio', 'exitcode', 'compile', 'warning', 'error', 'structural', 'runtime', 'exist'],
  compiled: true,
  probeRuntime: () => probeBinary('gfortran', ['--version']),
  gradeCollection: (ctx, collection) => gradeCompiledCollection(FORTRAN_LANGUAGE, ctx, collection),
  canaryDir: path.join(__dirname, 'canary'),
};
