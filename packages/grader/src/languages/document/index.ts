import { skipAll } from '../../grade/common';
import type { TLanguagePlugin } from '../plugin';

// Placeholder: registered so that examples are recognised; grading comes with its plug-in.
export const document: TLanguagePlugin = {
  id: 'document',
  aliases: ['document', 'doc', 'text', 'markdown', 'md'],
  fileNames: /\.(md|markdown|txt)$/i,
  collectionTypes: [
    'exist', 'wordcount', 'linecount', 'charcount', 'paragraphcount', 'sentencecount', 'headingcount', 'uniquewords', 'linkcount', 'imagecount',
    'codeblockcount', 'listitemcount', 'section', 'keyword', 'pattern', 'structural', 'avgwordlength', 'avgsentencelength',
  ],
  compiled: false,
  // No process runs: the checks read the student's file in the worker.
  probeRuntime: async () => ({ available: true, version: 'built in' }),
  gradeCollection: async (_ctx, collection) => skipAll(collection, 'language "document" is not supported by this grader yet'),
};
