import { createHash } from 'node:crypto';

// Real git object ids, so blob, tree and commit ids look and behave like GitLab's.

export function blobId(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export interface TTreeEntry {
  name: string;
  mode: string;
  id: string;
}

export function treeId(entries: TTreeEntry[]): string {
  // git orders entries by name, comparing a tree's name as if it ended in '/'.
  const key = (e: TTreeEntry) => (e.mode === '40000' ? `${e.name}/` : e.name);
  const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const parts = sorted.map((e) => Buffer.concat([Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.id, 'hex')]));
  const body = Buffer.concat(parts);
  return createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
}

export interface TCommitHeader {
  treeId: string;
  parentIds: string[];
  authorName: string;
  authorEmail: string;
  authoredDate: string;
  committerName: string;
  committerEmail: string;
  committedDate: string;
  message: string;
}

export function commitId(c: TCommitHeader): string {
  const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);
  const lines = [`tree ${c.treeId}`, ...c.parentIds.map((p) => `parent ${p}`)];
  lines.push(`author ${c.authorName} <${c.authorEmail}> ${unix(c.authoredDate)} +0000`);
  lines.push(`committer ${c.committerName} <${c.committerEmail}> ${unix(c.committedDate)} +0000`);
  const body = Buffer.from(`${lines.join('\n')}\n\n${c.message}`);
  return createHash('sha1').update(`commit ${body.length}\0`).update(body).digest('hex');
}
