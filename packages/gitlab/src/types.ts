export type TGitlabVisibility = 'private' | 'internal' | 'public';

/** GitLab access levels the client assigns. */
export const GITLAB_ACCESS_LEVEL = {
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const;

export interface TGitlabGroup {
  id: number;
  name: string;
  path: string;
  fullPath: string;
  webUrl: string;
  parentId: number | null;
  /** Set (a date) when GitLab will delete the group later (delayed deletion). */
  markedForDeletionOn: string | null;
}

export interface TGitlabProject {
  id: number;
  name: string;
  path: string;
  pathWithNamespace: string;
  webUrl: string;
  httpUrlToRepo: string;
  namespaceId: number;
  defaultBranch: string | null;
  /** `none` for projects that were never imported; forks go scheduled -> started -> finished | failed. */
  importStatus: string | null;
  importError: string | null;
  forkedFromProjectId: number | null;
  /** Set (a date) when GitLab will delete the project later (delayed deletion). */
  markedForDeletionOn: string | null;
  /** Read-only: GitLab refuses pushes and commits. */
  archived: boolean;
  /** Whether the repository has no commits; null when GitLab did not say. */
  emptyRepo: boolean | null;
}

export interface TGitlabImportStatus {
  importStatus: string | null;
  importError: string | null;
}

export interface TGitlabMember {
  userId: number;
  username: string;
  name: string;
  accessLevel: number;
}

export interface TGitlabUser {
  id: number;
  username: string;
  name: string;
  state: string;
}

export interface TGitlabTreeItem {
  /** Git object id (the blob's SHA-1 for files). */
  id: string;
  name: string;
  type: 'blob' | 'tree' | 'commit';
  path: string;
  mode: string;
}

export interface TGitlabCommit {
  id: string;
  shortId: string;
  title: string;
  message: string;
  authorName: string;
  authorEmail: string;
  authoredDate: string;
  committedDate: string;
  parentIds: string[];
}

export interface TGitlabBranch {
  name: string;
  commitId: string;
  protected: boolean;
  default: boolean;
}

export interface TGitlabProtectedBranch {
  name: string;
  pushAccessLevel: number | null;
  mergeAccessLevel: number | null;
}

type TRaw = Record<string, unknown>;

function obj(v: unknown): TRaw {
  return v && typeof v === 'object' ? (v as TRaw) : {};
}
function num(o: TRaw, k: string): number {
  const v = o[k];
  return typeof v === 'number' ? v : Number(v);
}
function numOrNull(o: TRaw, k: string): number | null {
  const v = o[k];
  return v === null || v === undefined || v === '' ? null : Number(v);
}
function str(o: TRaw, k: string): string {
  const v = o[k];
  return v === null || v === undefined ? '' : String(v);
}
function strOrNull(o: TRaw, k: string): string | null {
  const v = o[k];
  return v === null || v === undefined ? null : String(v);
}

export function toGroup(raw: unknown): TGitlabGroup {
  const o = obj(raw);
  return {
    id: num(o, 'id'),
    name: str(o, 'name'),
    path: str(o, 'path'),
    fullPath: str(o, 'full_path'),
    webUrl: str(o, 'web_url'),
    parentId: numOrNull(o, 'parent_id'),
    markedForDeletionOn: strOrNull(o, 'marked_for_deletion_on'),
  };
}

export function toProject(raw: unknown): TGitlabProject {
  const o = obj(raw);
  const forkedFrom = o.forked_from_project ? obj(o.forked_from_project) : undefined;
  const ns = obj(o.namespace);
  return {
    id: num(o, 'id'),
    name: str(o, 'name'),
    path: str(o, 'path'),
    pathWithNamespace: str(o, 'path_with_namespace'),
    webUrl: str(o, 'web_url'),
    httpUrlToRepo: str(o, 'http_url_to_repo'),
    namespaceId: num(ns, 'id'),
    defaultBranch: strOrNull(o, 'default_branch'),
    importStatus: strOrNull(o, 'import_status'),
    importError: strOrNull(o, 'import_error'),
    forkedFromProjectId: forkedFrom ? num(forkedFrom, 'id') : null,
    markedForDeletionOn: strOrNull(o, 'marked_for_deletion_on') ?? strOrNull(o, 'marked_for_deletion_at'),
    archived: o.archived === true,
    emptyRepo: typeof o.empty_repo === 'boolean' ? o.empty_repo : null,
  };
}

export function toMember(raw: unknown): TGitlabMember {
  const o = obj(raw);
  return { userId: num(o, 'id'), username: str(o, 'username'), name: str(o, 'name'), accessLevel: num(o, 'access_level') };
}

export function toUser(raw: unknown): TGitlabUser {
  const o = obj(raw);
  return { id: num(o, 'id'), username: str(o, 'username'), name: str(o, 'name'), state: str(o, 'state') };
}

export function toTreeItem(raw: unknown): TGitlabTreeItem {
  const o = obj(raw);
  return { id: str(o, 'id'), name: str(o, 'name'), type: str(o, 'type') as TGitlabTreeItem['type'], path: str(o, 'path'), mode: str(o, 'mode') };
}

export function toCommit(raw: unknown): TGitlabCommit {
  const o = obj(raw);
  return {
    id: str(o, 'id'),
    shortId: str(o, 'short_id'),
    title: str(o, 'title'),
    message: str(o, 'message'),
    authorName: str(o, 'author_name'),
    authorEmail: str(o, 'author_email'),
    authoredDate: str(o, 'authored_date'),
    committedDate: str(o, 'committed_date'),
    parentIds: Array.isArray(o.parent_ids) ? o.parent_ids.map(String) : [],
  };
}

export function toBranch(raw: unknown): TGitlabBranch {
  const o = obj(raw);
  return { name: str(o, 'name'), commitId: str(obj(o.commit), 'id'), protected: o.protected === true, default: o.default === true };
}

function firstLevel(v: unknown): number | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  return numOrNull(obj(v[0]), 'access_level');
}

export function toProtectedBranch(raw: unknown): TGitlabProtectedBranch {
  const o = obj(raw);
  return { name: str(o, 'name'), pushAccessLevel: firstLevel(o.push_access_levels), mergeAccessLevel: firstLevel(o.merge_access_levels) };
}

export type TGitlabArchiveFormat = 'tar.gz' | 'tar' | 'zip';

/** `executable`, `temporarily_disabled` (self-heals after `disabledUntil`) or `disabled` (permanently). */
export type TGitlabHookAlertStatus = 'executable' | 'temporarily_disabled' | 'disabled';

/** A project webhook as GitLab shows it; the secret token is never readable. */
export interface TGitlabProjectHook {
  id: number;
  projectId: number;
  url: string;
  name: string | null;
  pushEvents: boolean;
  pushEventsBranchFilter: string | null;
  branchFilterStrategy: string | null;
  enableSslVerification: boolean;
  alertStatus: TGitlabHookAlertStatus;
  disabledUntil: string | null;
  createdAt: string;
}

export function toProjectHook(raw: unknown): TGitlabProjectHook {
  const o = obj(raw);
  return {
    id: num(o, 'id'),
    projectId: num(o, 'project_id'),
    url: str(o, 'url'),
    name: strOrNull(o, 'name'),
    pushEvents: o.push_events === true,
    pushEventsBranchFilter: strOrNull(o, 'push_events_branch_filter'),
    branchFilterStrategy: strOrNull(o, 'branch_filter_strategy'),
    enableSslVerification: o.enable_ssl_verification === true,
    alertStatus: (strOrNull(o, 'alert_status') ?? 'executable') as TGitlabHookAlertStatus,
    disabledUntil: strOrNull(o, 'disabled_until'),
    createdAt: str(o, 'created_at'),
  };
}
