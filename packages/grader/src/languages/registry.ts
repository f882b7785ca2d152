import { c } from './c';
import { document } from './document';
import { fortran } from './fortran';
import { julia } from './julia';
import { octave } from './octave';
import type { TLanguagePlugin } from './plugin';
import { python } from './python';
import { r } from './r';

/** Every language this grader knows, one line each. Order decides file-name detection ties. */
export const LANGUAGES: readonly TLanguagePlugin[] = [python, c, octave, r, fortran, document, julia];

export function languageById(id: string | undefined): TLanguagePlugin | undefined {
  return id === undefined ? undefined : LANGUAGES.find((plugin) => plugin.id === id);
}

/** The plug-in an example's declared name (test.yaml `type`, a slug's last part) refers to. */
export function languageByName(name: string): TLanguagePlugin | undefined {
  const lower = name.toLowerCase();
  return LANGUAGES.find((plugin) => plugin.id === lower || plugin.aliases.includes(lower));
}

export function languageByFile(file: string): TLanguagePlugin | undefined {
  return LANGUAGES.find((plugin) => plugin.fileNames.test(file));
}

export { runtimeStatus } from './probe';
