import { skipAll } from '../../grade/common';
import type { TLanguagePlugin } from '../plugin';
import { probeBinary } from '../probe';

// Placeholder: registered so that examples are recognised; grading comes with its plug-in.
export const fortran: TLanguagePlugin = {
  id: 'fortran',
  aliases: ['fortran', 'f90', 'f95', 'f03', 'f08', 'f'],
  fileNames: /\.(f|for|ftn|f90|f95|f03|f08|f18)$/i,
  collectionTypes: ['stdout', 'stderr', 'stdio', 'exitcode', 'compile', 'warning', 'error', 'structural', 'runtime', 'exist'],
  compiled: true,
  probeRuntime: () => probeBinary('gfortran', ['--version']),
  gradeCollection: async (_ctx, collection) => skipAll(collection, 'language "fortran" is not supported by this grader yet'),
};
