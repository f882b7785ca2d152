import fs from 'node:fs';
import path from 'node:path';
import type { TLanguagePlugin } from '../plugin';
import { probeBinary } from '../probe';
import { gradePythonCollection, planPythonRuns } from './collection';

export const python: TLanguagePlugin = {
  id: 'python',
  aliases: ['python', 'py'],
  fileNames: /\.py$/,
  collectionTypes: ['variable', 'graphics', 'stdout', 'stderr', 'stdio', 'exitcode', 'error', 'warning', 'runtime', 'structural', 'compile', 'exist', 'linting'],
  compiled: false,
  async probeRuntime(config) {
    if (!fs.existsSync(config.pythonBin)) return { available: false, reason: `Python for graded code not found at ${config.pythonBin} (run tooling/python/setup-grader-venv.sh)` };
    return probeBinary(config.pythonBin, ['--version']);
  },
  gradeCollection: gradePythonCollection,
  planRuns: planPythonRuns,
  canaryDir: path.join(__dirname, 'canary'),
};
