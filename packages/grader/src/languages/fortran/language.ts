import path from 'node:path';
import { existUnderDirectory, type TCompiledLanguage } from '../../grade/compiled-collection';

/** The original's fixed-form then free-form extensions (`FORTRAN_DEFAULTS.extensions`), globbed in this order. */
export const FORTRAN_SOURCE_SUFFIXES = ['.f', '.for', '.ftn', '.F', '.FOR', '.FTN', '.f90', '.f95', '.f03', '.f08', '.f18', '.F90', '.F95', '.F03', '.F08'] as const;

/**
 * `-std=` of the original's default flags (`fortran.py` detect_fortran_standard + std_map): the
 * first source with a known (lower-cased) extension decides; `.f/.for/.ftn` (fixed form) →
 * legacy, `.f90`/`.f95` → f95, `.f03` → f2003, `.f08` and `.f18` → f2008 (the original maps `.f18`
 * to its f08 standard; its f2018 entry is unreachable); nothing known → f95.
 */
export function fortranStandard(sources: readonly string[]): string {
  for (const source of sources) {
    const ext = path.extname(source).toLowerCase();
    if (ext === '.f' || ext === '.for' || ext === '.ftn') return 'legacy';
    if (ext === '.f90' || ext === '.f95') return 'f95';
    if (ext === '.f03') return 'f2003';
    if (ext === '.f08' || ext === '.f18') return 'f2008';
  }
  return 'f95';
}

/** Fortran as the original's Fortran tester: gfortran, `-std=… -Wall -Wextra -fcheck=all` unless `compilerFlags` are given. */
export const FORTRAN_LANGUAGE: TCompiledLanguage = {
  id: 'fortran',
  label: 'Fortran',
  structural: 'fortran',
  sourceSuffixes: FORTRAN_SOURCE_SUFFIXES,
  defaultCompiler: () => 'gfortran',
  defaultFlags: (sources) => [`-std=${fortranStandard(sources)}`, '-Wall', '-Wextra', '-fcheck=all'],
  existPattern: existUnderDirectory,
};
