import { ApiError, badRequest } from './errors';
import { blobId, commitId, treeId, type TTreeEntry } from './git-objects';

const EXECUTABLE = '100755';
const REGULAR = '100644';

/** One commit with the full file snapshot it points to (path -> blob id). */
export interface TCommit {
  id: string;
  treeId: string;
  parentIds: string[];
  message: string;
  authorName: string;
  authorEmail: string;
  authoredDate: string;
  committerName: string;
  committerEmail: string;
  committedDate: string;
  files: Record<string, string>;
  // Paths whose mode is not 100644 (chmod +x).
  modes?: Record<string, string>;
}

export type TActionKind = 'create' | 'update' | 'delete' | 'move' | 'chmod';

export interface TCommitAction {
  action: TActionKind;
  filePath: string;
  previousPath?: string;
  content?: string;
  encoding?: 'text' | 'base64';
  executeFilemode?: boolean;
}

export interface TCommitInput {
  branch: string;
  startBranch?: string;
  startSha?: string;
  message: string;
  actions: TCommitAction[];
  authorName: string;
  authorEmail: string;
  committerName: string;
  committerEmail: string;
  now: string;
}

export interface TTreeItem {
  id: string;
  name: string;
  type: 'tree' | 'blob';
  path: string;
  mode: string;
}

export interface TSerializedRepository {
  blobs: Record<string, string>;
  commits: TCommit[];
  branches: Record<string, string>;
}

// Messages Gitaly returns for index errors, which GitLab passes through as 400 bodies.
const FILE_EXISTS = 'A file with this name already exists';
const FILE_MISSING = "A file with this name doesn't exist";
const DIR_EXISTS = 'A directory with this name already exists';

/** A git repository kept in memory: content-addressed blobs, commits with snapshots, branch heads. */
export class Repository {
  readonly blobs = new Map<string, Buffer>();
  readonly commits = new Map<string, TCommit>();
  readonly branches = new Map<string, string>();
  private readonly treeCache = new Map<string, Map<string, string>>();

  isEmpty(): boolean {
    return this.branches.size === 0;
  }

  /** Resolves a branch name, a full commit id or an unambiguous prefix of at least 7 characters. */
  resolve(ref: string): TCommit | undefined {
    const head = this.branches.get(ref);
    if (head) return this.commits.get(head);
    if (/^[0-9a-f]{7,40}$/i.test(ref)) {
      const lower = ref.toLowerCase();
      const exact = this.commits.get(lower);
      if (exact) return exact;
      const matches = [...this.commits.keys()].filter((id) => id.startsWith(lower));
      if (matches.length === 1) return this.commits.get(matches[0] as string);
    }
    return undefined;
  }

  readBlob(id: string): Buffer {
    const blob = this.blobs.get(id);
    if (!blob) throw new Error(`blob ${id} missing`);
    return blob;
  }

  fileAt(commit: TCommit, path: string): { id: string; content: Buffer; mode: string } | undefined {
    const id = commit.files[path];
    if (!id) return undefined;
    return { id, content: this.readBlob(id), mode: commit.modes?.[path] ?? REGULAR };
  }

  /** Commits reachable from `head`, newest first. */
  history(head: TCommit): TCommit[] {
    const seen = new Set<string>();
    const out: TCommit[] = [];
    const queue = [head];
    while (queue.length > 0) {
      const c = queue.shift() as TCommit;
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      out.push(c);
      for (const p of c.parentIds) {
        const parent = this.commits.get(p);
        if (parent) queue.push(parent);
      }
    }
    return out.sort((a, b) => Date.parse(b.committedDate) - Date.parse(a.committedDate));
  }

  /** Whether `commit` changed `path` (a file or a directory prefix) compared with its first parent. */
  touches(commit: TCommit, path: string): boolean {
    const parent = commit.parentIds[0] ? this.commits.get(commit.parentIds[0]) : undefined;
    const before = parent?.files ?? {};
    const prefix = `${path.replace(/\/+$/, '')}/`;
    const inScope = (p: string) => p === path || p.startsWith(prefix);
    const keys = new Set([...Object.keys(before), ...Object.keys(commit.files)].filter(inScope));
    for (const k of keys) if (before[k] !== commit.files[k]) return true;
    return false;
  }

  lastCommitFor(head: TCommit, path: string): TCommit {
    for (const c of this.history(head)) if (this.touches(c, path)) return c;
    return head;
  }

  stats(commit: TCommit): { additions: number; deletions: number; total: number } {
    const parent = commit.parentIds[0] ? this.commits.get(commit.parentIds[0]) : undefined;
    const before = parent?.files ?? {};
    let additions = 0;
    let deletions = 0;
    const lines = (id: string | undefined) => (id ? this.readBlob(id).toString('utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '') : []);
    const binary = (id: string | undefined) => (id ? this.readBlob(id).includes(0) : false);
    for (const path of new Set([...Object.keys(before), ...Object.keys(commit.files)])) {
      if (before[path] === commit.files[path]) continue;
      // git counts no lines for binary files.
      if (binary(before[path]) || binary(commit.files[path])) continue;
      const counts = new Map<string, number>();
      for (const l of lines(before[path])) counts.set(l, (counts.get(l) ?? 0) + 1);
      for (const l of lines(commit.files[path])) {
        const n = counts.get(l) ?? 0;
        if (n > 0) counts.set(l, n - 1);
        else additions += 1;
      }
      for (const n of counts.values()) deletions += n;
    }
    return { additions, deletions, total: additions + deletions };
  }

  /** Applies GitLab commit actions; throws the 400 GitLab would answer and leaves the repository unchanged. */
  commit(input: TCommitInput): TCommit {
    const branchHead = this.branches.get(input.branch);
    let base: TCommit | undefined;
    if (input.startSha) {
      base = this.resolve(input.startSha);
      if (!base) throw badRequest(`Cannot find start_sha '${input.startSha}'`);
    } else if (input.startBranch && input.startBranch !== input.branch) {
      if (branchHead) {
        throw badRequest(`A branch called '${input.branch}' already exists. Switch to that branch in order to make changes`);
      }
      const startHead = this.branches.get(input.startBranch);
      if (!startHead) throw badRequest(`Cannot find start_branch '${input.startBranch}'`);
      base = this.commits.get(startHead);
    } else if (branchHead) {
      base = this.commits.get(branchHead);
    } else if (!this.isEmpty()) {
      throw badRequest('You can only create or edit files when you are on a branch');
    }

    const files: Record<string, string> = { ...(base?.files ?? {}) };
    const modes: Record<string, string> = { ...(base?.modes ?? {}) };
    const newBlobs = new Map<string, Buffer>();
    const isDir = (p: string) => Object.keys(files).some((f) => f.startsWith(`${p}/`));
    const parentIsFile = (p: string) => {
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i += 1) if (files[parts.slice(0, i).join('/')]) return true;
      return false;
    };
    const store = (content: string | undefined, encoding: string | undefined): string => {
      const buf = encoding === 'base64' ? Buffer.from(content ?? '', 'base64') : Buffer.from(content ?? '', 'utf8');
      const id = blobId(buf);
      if (!this.blobs.has(id)) newBlobs.set(id, buf);
      return id;
    };

    for (const a of input.actions) {
      const path = normalizePath(a.filePath);
      if (!path) throw badRequest('You must provide a file path');
      if (hasTraversal(a.filePath) || hasTraversal(a.previousPath ?? '')) throw badRequest('Path cannot include directory traversal');
      switch (a.action) {
        case 'create':
          if (files[path] || parentIsFile(path)) throw badRequest(FILE_EXISTS);
          if (isDir(path)) throw badRequest(DIR_EXISTS);
          files[path] = store(a.content, a.encoding);
          if (a.executeFilemode) modes[path] = EXECUTABLE;
          break;
        case 'update':
          if (!files[path]) throw badRequest(FILE_MISSING);
          files[path] = store(a.content, a.encoding);
          if (a.executeFilemode !== undefined) setExec(modes, path, a.executeFilemode);
          break;
        case 'delete':
          if (!files[path]) throw badRequest(FILE_MISSING);
          delete files[path];
          delete modes[path];
          break;
        case 'move': {
          const from = normalizePath(a.previousPath ?? '');
          if (!from) throw badRequest('You must provide a file path');
          if (!files[from]) throw badRequest(FILE_MISSING);
          if (files[path] || parentIsFile(path)) throw badRequest(FILE_EXISTS);
          if (isDir(path)) throw badRequest(DIR_EXISTS);
          const id = a.content !== undefined ? store(a.content, a.encoding) : (files[from] as string);
          const mode = modes[from];
          delete files[from];
          delete modes[from];
          files[path] = id;
          if (mode) modes[path] = mode;
          break;
        }
        case 'chmod':
          if (!files[path]) throw badRequest(FILE_MISSING);
          setExec(modes, path, a.executeFilemode === true);
          break;
        default:
          throw new ApiError(400, { error: 'actions[action] does not have a valid value' });
      }
    }

    for (const [id, buf] of newBlobs) this.blobs.set(id, buf);
    const tree = this.computeTrees(files, modes);
    const header = {
      treeId: tree.get('') as string,
      parentIds: base ? [base.id] : [],
      authorName: input.authorName,
      authorEmail: input.authorEmail,
      authoredDate: input.now,
      committerName: input.committerName,
      committerEmail: input.committerEmail,
      committedDate: input.now,
      message: input.message,
    };
    const commit: TCommit = { id: commitId(header), ...header, files };
    if (Object.keys(modes).length > 0) commit.modes = modes;
    this.commits.set(commit.id, commit);
    this.treeCache.set(commit.id, tree);
    this.branches.set(input.branch, commit.id);
    return commit;
  }

  createBranch(name: string, from: TCommit): void {
    this.branches.set(name, from.id);
  }

  /** Tree listing like GitLab's: trees first, then blobs, each sorted by path. */
  tree(commit: TCommit, path: string, recursive: boolean): TTreeItem[] | undefined {
    const trees = this.treesOf(commit);
    const dir = normalizePath(path);
    if (dir && !trees.has(dir)) return undefined;
    const prefix = dir ? `${dir}/` : '';
    const dirs: TTreeItem[] = [];
    const blobs: TTreeItem[] = [];
    for (const [p, id] of trees) {
      if (!p || !p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      if (!recursive && rest.includes('/')) continue;
      dirs.push({ id, name: basename(p), type: 'tree', path: p, mode: '040000' });
    }
    for (const [p, id] of Object.entries(commit.files)) {
      if (!p.startsWith(prefix)) continue;
      const rest = p.slice(prefix.length);
      if (!recursive && rest.includes('/')) continue;
      blobs.push({ id, name: basename(p), type: 'blob', path: p, mode: commit.modes?.[p] ?? REGULAR });
    }
    const byPath = (a: TTreeItem, b: TTreeItem) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
    return [...dirs.sort(byPath), ...blobs.sort(byPath)];
  }

  clone(): Repository {
    const copy = new Repository();
    for (const [k, v] of this.blobs) copy.blobs.set(k, v);
    for (const [k, v] of this.commits) copy.commits.set(k, v);
    for (const [k, v] of this.branches) copy.branches.set(k, v);
    return copy;
  }

  toJSON(): TSerializedRepository {
    const blobs: Record<string, string> = {};
    for (const [k, v] of this.blobs) blobs[k] = v.toString('base64');
    return { blobs, commits: [...this.commits.values()], branches: Object.fromEntries(this.branches) };
  }

  static fromJSON(data: TSerializedRepository): Repository {
    const repo = new Repository();
    for (const [k, v] of Object.entries(data.blobs)) repo.blobs.set(k, Buffer.from(v, 'base64'));
    for (const c of data.commits) repo.commits.set(c.id, c);
    for (const [k, v] of Object.entries(data.branches)) repo.branches.set(k, v);
    return repo;
  }

  private treesOf(commit: TCommit): Map<string, string> {
    let trees = this.treeCache.get(commit.id);
    if (!trees) {
      trees = this.computeTrees(commit.files, commit.modes ?? {});
      this.treeCache.set(commit.id, trees);
    }
    return trees;
  }

  // Returns directory path -> tree id, '' being the root.
  private computeTrees(files: Record<string, string>, modes: Record<string, string>): Map<string, string> {
    const children = new Map<string, TTreeEntry[]>([['', []]]);
    const ensureDir = (dir: string): TTreeEntry[] => {
      let list = children.get(dir);
      if (!list) {
        list = [];
        children.set(dir, list);
        const parent = dirname(dir);
        ensureDir(parent).push({ name: basename(dir), mode: '40000', id: dir });
      }
      return list;
    };
    for (const [path, id] of Object.entries(files)) {
      ensureDir(dirname(path)).push({ name: basename(path), mode: modes[path] ?? REGULAR, id });
    }
    const ids = new Map<string, string>();
    const hash = (dir: string): string => {
      const entries = (children.get(dir) ?? []).map((e) => (e.mode === '40000' ? { ...e, id: hash(e.id) } : e));
      const id = treeId(entries);
      ids.set(dir, id);
      return id;
    };
    hash('');
    return ids;
  }
}

function setExec(modes: Record<string, string>, path: string, exec: boolean): void {
  if (exec) modes[path] = EXECUTABLE;
  else delete modes[path];
}

function hasTraversal(path: string): boolean {
  return path.split('/').includes('..');
}

export function normalizePath(path: string): string {
  return path.split('/').filter((s) => s !== '' && s !== '.').join('/');
}

function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
