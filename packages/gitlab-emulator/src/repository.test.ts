import { blobId, treeId } from './git-objects';
import { Repository, type TCommitInput } from './repository';

const base: Omit<TCommitInput, 'actions' | 'message'> = {
  branch: 'main',
  authorName: 'A',
  authorEmail: 'a@example.com',
  committerName: 'A',
  committerEmail: 'a@example.com',
  now: '2024-01-01T00:00:00.000Z',
};

describe('git object ids', () => {
  it('match git for blobs and trees', () => {
    expect(blobId(Buffer.from(''))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(blobId(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(treeId([])).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    // `printf 'hello\n' > hello.txt && git add . && git write-tree`
    expect(treeId([{ name: 'hello.txt', mode: '100644', id: 'ce013625030ba8dba906f756967f9e9ca394464a' }])).toBe('aaa96ced2d9a1c8e72c56b253a0e2fe78393feb7');
  });
});

describe('Repository', () => {
  it('keeps history per branch with parent links and leaves the branch unchanged on failure', () => {
    const repo = new Repository();
    const c1 = repo.commit({ ...base, message: 'one', actions: [{ action: 'create', filePath: 'a/b.txt', content: 'x' }] });
    const c2 = repo.commit({ ...base, message: 'two', now: '2024-01-01T00:00:01.000Z', actions: [{ action: 'update', filePath: 'a/b.txt', content: 'y' }] });
    expect(c2.parentIds).toEqual([c1.id]);
    expect(repo.history(c2).map((c) => c.message)).toEqual(['two', 'one']);
    expect(() => repo.commit({ ...base, message: 'bad', actions: [{ action: 'create', filePath: 'a', content: '' }] })).toThrow('A directory with this name already exists');
    expect(() => repo.commit({ ...base, message: 'bad', actions: [{ action: 'create', filePath: 'a/b.txt/c', content: '' }] })).toThrow('A file with this name already exists');
    expect(() => repo.commit({ ...base, message: 'bad', actions: [{ action: 'create', filePath: '../x', content: '' }] })).toThrow('Path cannot include directory traversal');
    expect(repo.branches.get('main')).toBe(c2.id);
    expect(repo.lastCommitFor(c2, 'a/b.txt').id).toBe(c2.id);
  });

  it('lists trees with trees first and survives a JSON round trip', () => {
    const repo = new Repository();
    const c = repo.commit({
      ...base,
      message: 'm',
      actions: [
        { action: 'create', filePath: 'z.txt', content: 'z' },
        { action: 'create', filePath: 'dir/run.sh', content: '#!/bin/sh\n', executeFilemode: true },
      ],
    });
    expect(repo.tree(c, '', false)?.map((t) => `${t.type}:${t.path}:${t.mode}`)).toEqual(['tree:dir:040000', 'blob:z.txt:100644']);
    expect(repo.tree(c, 'dir', false)?.map((t) => t.mode)).toEqual(['100755']);
    expect(repo.tree(c, 'nope', false)).toBeUndefined();
    const copy = Repository.fromJSON(JSON.parse(JSON.stringify(repo.toJSON())));
    const head = copy.resolve('main');
    expect(head?.id).toBe(c.id);
    expect(copy.fileAt(head!, 'dir/run.sh')?.content.toString()).toBe('#!/bin/sh\n');
    expect(copy.resolve(c.id.slice(0, 7))?.id).toBe(c.id);
  });
});
