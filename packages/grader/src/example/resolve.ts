import type { TCheck, TCollection, TTestSuite } from './schemas';

/** Check properties after inheritance: check ?? collection ?? suite `properties` ?? defaults. */
export interface TCheckProps {
  qualification: string;
  relativeTolerance: number;
  absoluteTolerance: number;
  allowedOccuranceRange: [number, number] | undefined;
  occuranceType: string | undefined;
  typeCheck: boolean;
  shapeCheck: boolean;
  equalNaN: boolean;
  ignoreClass: boolean;
  failureMessage: string | undefined;
  successMessage: string | undefined;
}

/** Defaults of the original format when no level sets a property. */
export const DEFAULT_CHECK_PROPS: TCheckProps = {
  qualification: 'verifyEqual',
  relativeTolerance: 1e-12,
  absoluteTolerance: 1e-4,
  allowedOccuranceRange: undefined,
  occuranceType: undefined,
  typeCheck: true,
  shapeCheck: true,
  equalNaN: true,
  ignoreClass: false,
  failureMessage: undefined,
  successMessage: undefined,
};

export interface TResolvedCheck extends TCheckProps {
  index: number;
  name: string;
  check: TCheck;
}

export interface TResolvedCollection {
  index: number;
  name: string;
  type: string;
  collection: TCollection;
  /** Seconds from test.yaml (collection, else suite); undefined when neither sets one. */
  timeoutSeconds: number | undefined;
  /** Own setUpCode preceded by that of its `setUpCodeDependency` chain. */
  setUpCode: string[];
  tearDownCode: string[];
  inputAnswers: string[];
  checks: TResolvedCheck[];
}

type TPropSource = Partial<Record<keyof TCheckProps, unknown>>;

function pick<K extends keyof TCheckProps>(key: K, levels: TPropSource[]): TCheckProps[K] {
  for (const level of levels) {
    const value = level[key];
    if (value !== undefined && value !== null) return value as TCheckProps[K];
  }
  return DEFAULT_CHECK_PROPS[key];
}

function resolveProps(levels: TPropSource[]): TCheckProps {
  const keys = Object.keys(DEFAULT_CHECK_PROPS) as Array<keyof TCheckProps>;
  return Object.fromEntries(keys.map((key) => [key, pick(key, levels)])) as unknown as TCheckProps;
}

/** Index of the collection a dependency names: by `name` or `id`, else an index counted from `indexBase` (0, or 1 for Octave). */
export function findCollectionIndex(collections: readonly TCollection[], dependency: string, indexBase: 0 | 1 = 0): number | undefined {
  const byName = collections.findIndex((c) => c.name === dependency || c.id === dependency);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(dependency)) {
    const index = Number(dependency) - indexBase;
    if (index >= 0 && index < collections.length) return index;
  }
  return undefined;
}

function setUpChain(collections: readonly TCollection[], index: number, seen: Set<number>, indexBase: 0 | 1): string[] {
  const collection = collections[index];
  if (!collection || seen.has(index)) return [];
  seen.add(index);
  const own = collection.setUpCode ?? [];
  if (collection.setUpCodeDependency === undefined) return own;
  const dep = findCollectionIndex(collections, collection.setUpCodeDependency, indexBase);
  return dep === undefined ? own : [...setUpChain(collections, dep, seen, indexBase), ...own];
}

export function resolveSuite(suite: TTestSuite, indexBase: 0 | 1 = 0): TResolvedCollection[] {
  const suiteProps = suite.properties as TPropSource & { timeout?: number | null };
  const collections = suite.properties.tests;
  return collections.map((collection, index) => {
    const collectionProps = collection as TPropSource;
    return {
      index,
      name: collection.name,
      type: collection.type,
      collection,
      timeoutSeconds: collection.timeout ?? suiteProps.timeout ?? undefined,
      setUpCode: setUpChain(collections, index, new Set(), indexBase),
      tearDownCode: collection.tearDownCode ?? [],
      inputAnswers: collection.inputAnswers ?? [],
      checks: collection.tests.map((check, checkIndex) => ({
        ...resolveProps([check as TPropSource, collectionProps, suiteProps]),
        // Suite-level messages describe the whole run (the original printed them once); only
        // collection- and check-level ones replace a check's message.
        failureMessage: check.failureMessage ?? collection.failureMessage,
        successMessage: check.successMessage ?? collection.successMessage,
        index: checkIndex,
        name: check.name,
        check,
      })),
    };
  });
}
