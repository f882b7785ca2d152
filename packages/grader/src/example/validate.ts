import { languageIssues } from '../languages/detect';
import { parseDocument } from 'yaml';
import { findCollectionIndex } from './resolve';
import type { z } from 'zod';
import {
  KNOWN_COLLECTION_TYPES,
  KNOWN_QUALIFICATIONS,
  ZMeta,
  ZTestSuite,
  type TMeta,
  type TTestSuite,
} from './schemas';

/** One problem found in an example file; `path` is a field path such as `properties.tests[0].name`. */
export interface TExampleIssue {
  file: string;
  path: string;
  message: string;
}

export interface TParseResult<T> {
  value: T | undefined;
  errors: TExampleIssue[];
  warnings: TExampleIssue[];
}

type TSchemaDef = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
};

const KEY_ALIASES = new Set(['allowedOccurrenceRange', 'occurrenceType']);

function defOf(schema: z.ZodType): TSchemaDef {
  return (schema as unknown as { _zod: { def: TSchemaDef } })._zod.def;
}

/** Strips wrappers (optional, default, preprocess, ...) down to the schema that describes the shape. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let i = 0; i < 20; i += 1) {
    const def = defOf(current);
    if (def.innerType && ['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(def.type)) {
      current = def.innerType;
    } else if (def.type === 'pipe' && def.in && def.out) {
      current = defOf(def.in).type === 'transform' ? def.out : def.in;
    } else {
      return current;
    }
  }
  return current;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out || '(root)';
}

/** Keys present in `value` that `schema` does not know (they would be silently dropped). */
export function findUnknownKeys(schema: z.ZodType, value: unknown, path: PropertyKey[] = []): string[] {
  const found: string[] = [];
  const def = defOf(unwrap(schema));
  if (def.type === 'object' && def.shape && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childSchema = def.shape[key];
      if (childSchema) found.push(...findUnknownKeys(childSchema, child, [...path, key]));
      else if (!KEY_ALIASES.has(key)) found.push(formatPath([...path, key]));
    }
  } else if (def.type === 'array' && def.element && Array.isArray(value)) {
    value.forEach((item, index) => found.push(...findUnknownKeys(def.element as z.ZodType, item, [...path, index])));
  }
  return found;
}

function parseYaml(text: string, file: string): { data: unknown; errors: TExampleIssue[] } {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    return {
      data: undefined,
      errors: document.errors.map((error) => ({ file, path: '(yaml)', message: error.message.split('\n')[0] ?? error.message })),
    };
  }
  return { data: document.toJS({ maxAliasCount: 100 }) ?? {}, errors: [] };
}

function parseWith<T>(schema: z.ZodType<T>, text: string, file: string): TParseResult<T> {
  const { data, errors } = parseYaml(text, file);
  if (errors.length > 0) return { value: undefined, errors, warnings: [] };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { value: undefined, errors: [{ file, path: '(root)', message: 'expected a mapping at the top level' }], warnings: [] };
  }
  const warnings = findUnknownKeys(schema, data).map((path) => ({ file, path, message: 'unknown key, ignored' }));
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    return {
      value: undefined,
      errors: parsed.error.issues.map((issue) => ({ file, path: formatPath(issue.path), message: issue.message })),
      warnings,
    };
  }
  return { value: parsed.data, errors: [], warnings };
}

export function parseMetaYaml(text: string, file = 'meta.yaml'): TParseResult<TMeta> {
  return parseWith(ZMeta, text, file);
}

export function parseTestYaml(text: string, file = 'test.yaml'): TParseResult<TTestSuite> {
  const result = parseWith(ZTestSuite, text, file);
  if (!result.value) return result;
  const known = new Set<string>(KNOWN_COLLECTION_TYPES);
  const qualifications = new Set<string>(KNOWN_QUALIFICATIONS);
  const props = result.value.properties;
  if (props.qualification !== undefined && !qualifications.has(props.qualification)) {
    result.warnings.push({ file, path: 'properties.qualification', message: `unknown qualification "${props.qualification}"` });
  }
  props.tests.forEach((collection, i) => {
    const base = `properties.tests[${i}]`;
    if (!known.has(collection.type)) {
      result.warnings.push({ file, path: `${base}.type`, message: `unknown collection type "${collection.type}": its checks will be skipped` });
    }
    if (collection.qualification !== undefined && !qualifications.has(collection.qualification)) {
      result.warnings.push({ file, path: `${base}.qualification`, message: `unknown qualification "${collection.qualification}"` });
    }
    if (collection.tests.length === 0) {
      result.warnings.push({ file, path: `${base}.tests`, message: 'collection has no checks' });
    }
    collection.tests.forEach((check, j) => {
      if (check.qualification !== undefined && !qualifications.has(check.qualification)) {
        result.warnings.push({
          file,
          path: `${base}.tests[${j}].qualification`,
          message: `unknown qualification "${check.qualification}": the check will be skipped`,
        });
      }
    });
  });
  return result;
}

export interface TExampleValidation {
  ok: boolean;
  meta: TMeta | undefined;
  suite: TTestSuite | undefined;
  errors: TExampleIssue[];
  warnings: TExampleIssue[];
}

/**
 * Validates the two description files of an example, listing every problem (for upload checks).
 * `files` maps names to contents; a missing file is an error. `strictLanguage` (upload): an
 * unknown language or a collection type the language lacks is an error; otherwise (grading an
 * example already stored) a warning, and such collections are graded as skipped.
 */
export function validateExampleFiles(files: { 'meta.yaml'?: string; 'test.yaml'?: string }, options: { strictLanguage?: boolean } = {}): TExampleValidation {
  const errors: TExampleIssue[] = [];
  const warnings: TExampleIssue[] = [];
  let meta: TMeta | undefined;
  let suite: TTestSuite | undefined;
  if (files['meta.yaml'] === undefined) errors.push({ file: 'meta.yaml', path: '(file)', message: 'missing' });
  else {
    const parsed = parseMetaYaml(files['meta.yaml']);
    errors.push(...parsed.errors);
    warnings.push(...parsed.warnings);
    meta = parsed.value;
  }
  if (files['test.yaml'] === undefined) errors.push({ file: 'test.yaml', path: '(file)', message: 'missing' });
  else {
    const parsed = parseTestYaml(files['test.yaml']);
    errors.push(...parsed.errors);
    warnings.push(...parsed.warnings);
    suite = parsed.value;
  }
  if (meta && suite) {
    const settings = meta.properties.executionBackend?.settings;
    for (const setting of ['expectedByCollection', 'visibilityByCollection'] as const) {
      for (const key of Object.keys(settings?.[setting] ?? {})) {
        if (findCollectionIndex(suite.properties.tests, key) === undefined) {
          errors.push({ file: 'meta.yaml', path: `properties.executionBackend.settings.${setting}.${key}`, message: `names no collection of test.yaml (by name or id)` });
        }
      }
    }
    (options.strictLanguage ? errors : warnings).push(...languageIssues(meta, suite));
    const submitted = new Set(meta.properties.studentSubmissionFiles);
    suite.properties.tests.forEach((collection, i) => {
      if (collection.entryPoint && submitted.size > 0 && !submitted.has(collection.entryPoint)) {
        warnings.push({
          file: 'test.yaml',
          path: `properties.tests[${i}].entryPoint`,
          message: `"${collection.entryPoint}" is not one of meta.yaml's studentSubmissionFiles`,
        });
      }
    });
  }
  return { ok: errors.length === 0, meta, suite, errors, warnings };
}
