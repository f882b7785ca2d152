import { skipAll } from '../../grade/common';
import type { TLanguagePlugin } from '../plugin';
import { probeBinary } from '../probe';

// Placeholder: registered so that examples are recognised; grading comes with its plug-in.
export const octave: TLanguagePlugin = {
  id: 'octave',
  aliases: ['octave', 'matlab', 'oct'],
  fileNames: /\.m$/,
  collectionTypes: ['variable', 'graphics', 'exist', 'structural', 'stdout', 'error', 'warning', 'help', 'linting'],
  compiled: false,
  probeRuntime: () => probeBinary('octave-cli', ['--version']),
  gradeCollection: async (_ctx, collection) => skipAll(collection, 'language "octave" is not supported by this grader yet'),
};
