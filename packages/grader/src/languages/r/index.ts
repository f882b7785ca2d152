import path from 'node:path';
import type { TLanguagePlugin } from '../plugin';
import { probeBinary } from '../probe';
import { gradeRCollection, planRRuns } from './collection';
import { rEnvironment, RUnavailableError } from './runner';

export const r: TLanguagePlugin = {
  id: 'r',
  aliases: ['r'],
  fileNames: /\.[rR]$/,
  collectionTypes: ['variable', 'graphics', 'exist', 'stdout', 'structural', 'error', 'warning'],
  compiled: false,
  async probeRuntime() {
    try {
      rEnvironment();
    } catch (error) {
      if (error instanceof RUnavailableError) return { available: false, reason: error.message };
      throw error;
    }
    return probeBinary('Rscript', ['--version']);
  },
  gradeCollection: gradeRCollection,
  planRuns: planRRuns,
  canaryDir: path.resolve(__dirname, 'canary'),
};
