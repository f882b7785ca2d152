import path from 'node:path';
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
  async probeRuntime() {
    const [gcc, gxx] = await Promise.all([probeBinary('gcc', ['--version']), probeBinary('g++', ['--version'])]);
    if (!gcc.available) return gcc;
    // C++ hand-ins need g++ as well: without it the worker would fail them as if they did not compile.
    if (!gxx.available) return gxx;
    return gcc;
  },
  gradeCollection: gradeCCollection,
  canaryDir: path.join(__dirname, 'canary'),
};
