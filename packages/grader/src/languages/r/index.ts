import { skipAll } from '../../grade/common';
import type { TLanguagePlugin } from '../plugin';
import { probeBinary } from '../probe';

// Placeholder: registered so that examples are recognised; grading comes with its plug-in.
export const r: TLanguagePlugin = {
  id: 'r',
  aliases: ['r'],
  fileNames: /\.[rR]$/,
  collectionTypes: ['variable', 'graphics', 'exist', 'stdout', 'structural', 'error', 'warning'],
  compiled: false,
  probeRuntime: () => probeBinary('Rscript', ['--version']),
  gradeCollection: async (_ctx, collection) => skipAll(collection, 'language "r" is not supported by this grader yet'),
};
