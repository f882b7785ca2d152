import type { TLanguagePlugin } from '../plugin';
import { probeBinary } from '../probe';
import { gradeCCollection } from './collection';

/** C and C++ (the original grades C++ with its C tester): gcc, or g++ for C++ sources. */
export const c: TLanguagePlugin = {
  id: 'c',
  aliases: ['c', 'cpp', 'c++', 'cxx'],
  fileNames: /\.(c|cc|cpp|cxx|C)$/,
  collectionTypes: ['stdout', 'stderr', 'stdio', 'exitcode', 'compile', 'warning', 'error', 'structural', 'runtime', 'exist'],
  compiled: true,
  probeRuntime: () => probeBinary('gcc', ['--version']),
  gradeCollection: gradeCCollection,
};
