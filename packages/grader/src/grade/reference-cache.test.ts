import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DirectoryReferenceCache, InMemoryReferenceCache, referenceCacheKey, type TReferenceRun } from './reference-cache';

const run = (stdout: string): TReferenceRun => ({ status: 'completed', message: '', stdout, stderr: '', exitCode: 0, values: { x: { ok: true, value: { t: 'int', v: 1 } } } });

test('keys combine format version, example content hash and collection index', () => {
  expect(referenceCacheKey('abc', 2)).toBe('ref-v1:abc:2');
});

test('the in-memory cache returns what was stored and evicts the least recently used', () => {
  const cache = new InMemoryReferenceCache(2);
  cache.set('a', run('a'));
  cache.set('b', run('b'));
  expect(cache.get('a')?.stdout).toBe('a');
  cache.set('c', run('c'));
  expect(cache.get('b')).toBeUndefined();
  expect(cache.get('a')?.stdout).toBe('a');
  expect(cache.size).toBe(2);
});

test('the directory cache persists across instances and ignores damaged files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'computor-refcache-'));
  try {
    const first = new DirectoryReferenceCache(path.join(dir, 'cache'));
    expect(await first.get('k')).toBeUndefined();
    await first.set('k', run('hello'));
    const second = new DirectoryReferenceCache(path.join(dir, 'cache'));
    expect(await second.get('k')).toEqual(run('hello'));
    for (const file of fs.readdirSync(path.join(dir, 'cache'))) fs.writeFileSync(path.join(dir, 'cache', file), '{not json');
    expect(await second.get('k')).toBeUndefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
