import path from 'node:path';
import type { TLanguagePlugin } from '../plugin';
import { gradeDocumentCollection } from './collection';

/**
 * Markdown and plain-text hand-ins, graded by text analysis as the original's document tester
 * does (word, line, character, paragraph, sentence, heading, list item, link, image, code block
 * and unique word counts, sections, keywords, patterns). No process runs: the checks read the
 * student's file in the worker (files.ts, size-capped), so the runtime is always available.
 */
export const document: TLanguagePlugin = {
  id: 'document',
  aliases: ['document', 'doc', 'text', 'markdown', 'md'],
  fileNames: /\.(md|markdown|txt)$/i,
  collectionTypes: [
    'exist', 'wordcount', 'linecount', 'charcount', 'paragraphcount', 'sentencecount', 'headingcount', 'uniquewords', 'linkcount', 'imagecount',
    'codeblockcount', 'listitemcount', 'section', 'keyword', 'pattern', 'structural', 'avgwordlength', 'avgsentencelength',
  ],
  compiled: false,
  probeRuntime: async () => ({ available: true, version: 'built in' }),
  gradeCollection: gradeDocumentCollection,
  canaryDir: path.resolve(__dirname, 'canary'),
};
