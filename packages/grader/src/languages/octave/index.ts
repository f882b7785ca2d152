import path from 'node:path';
import type { TLanguagePlugin } from '../plugin';
import { probeBinary } from '../probe';
import { gradeOctaveCollection, planOctaveRuns } from './collection';

/** GNU Octave (octave-cli), graded through a driver in the student's interpreter (see runner.ts, driver/). */
export const octave: TLanguagePlugin = {
  id: 'octave',
  aliases: ['octave', 'matlab', 'oct'],
  fileNames: /\.m$/,
  collectionTypes: ['variable', 'graphics', 'exist', 'structural', 'stdout', 'error', 'warning', 'help', 'linting'],
  compiled: false,
  // O8 copied: a numeric dependency that is no collection's id is a 1-based index (names work too).
  dependencyIndexBase: 1,
  async probeRuntime() {
    const [octaveCli, gnuplot] = await Promise.all([probeBinary('octave-cli', ['--version']), probeBinary('gnuplot', ['--version'])]);
    if (!octaveCli.available) return octaveCli;
    // Figures need gnuplot (the only toolkit octave-cli has without a display); the rest does not.
    return gnuplot.available ? octaveCli : { ...octaveCli, version: `${octaveCli.version ?? 'GNU Octave'} (gnuplot missing: figures unavailable)` };
  },
  gradeCollection: gradeOctaveCollection,
  planRuns: planOctaveRuns,
  canaryDir: path.join(__dirname, 'canary'),
};
