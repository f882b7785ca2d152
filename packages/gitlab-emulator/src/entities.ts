import { createHash } from 'node:crypto';
import type { Repository, TCommit, TTreeItem } from './repository';
import type { Store, TMember, TNamespace, TProject, TProtectedBranch, TUser } from './store';

// Serializers producing GitLab's REST v4 entity shapes (Entities::Group, Entities::Project, ...).

export interface TEntityContext {
  store: Store;
  baseUrl: string;
  currentUser: TUser;
}

type TJson = Record<string, unknown>;

const ACCESS_DESCRIPTIONS: Record<number, string> = {
  0: 'No access',
  5: 'Minimal Access',
  10: 'Guest',
  15: 'Planner',
  20: 'Reporter',
  30: 'Developer',
  40: 'Maintainers',
  50: 'Owner',
  60: 'Admin',
};

function host(ctx: TEntityContext): string {
  return new URL(ctx.baseUrl).hostname;
}

export function namespaceWebUrl(ctx: TEntityContext, ns: TNamespace): string {
  const fullPath = ctx.store.namespaceFullPath(ns);
  return ns.kind === 'group' ? `${ctx.baseUrl}/groups/${fullPath}` : `${ctx.baseUrl}/${fullPath}`;
}

export function groupEntity(ctx: TEntityContext, g: TNamespace): TJson {
  const fullPath = ctx.store.namespaceFullPath(g);
  return {
    id: g.id,
    web_url: namespaceWebUrl(ctx, g),
    name: g.name,
    path: g.path,
    description: g.description,
    visibility: g.visibility,
    share_with_group_lock: false,
    require_two_factor_authentication: false,
    two_factor_grace_period: 48,
    project_creation_level: 'developer',
    auto_devops_enabled: null,
    subgroup_creation_level: 'maintainer',
    emails_disabled: false,
    emails_enabled: true,
    mentions_disabled: null,
    lfs_enabled: true,
    default_branch: null,
    default_branch_protection: 2,
    avatar_url: null,
    request_access_enabled: true,
    full_name: ctx.store.namespaceFullName(g),
    full_path: fullPath,
    created_at: g.createdAt,
    parent_id: g.parentId,
    organization_id: 1,
    shared_runners_setting: 'enabled',
    ldap_cn: null,
    ldap_access: null,
    wiki_access_level: 'enabled',
    marked_for_deletion_on: g.markedForDeletionOn,
    archived: g.archived ?? false,
  };
}

export function groupDetailEntity(ctx: TEntityContext, g: TNamespace, withProjects: boolean): TJson {
  const detail: TJson = {
    ...groupEntity(ctx, g),
    shared_with_groups: [],
    prevent_sharing_groups_outside_hierarchy: false,
    prevent_forking_outside_group: null,
    membership_lock: false,
  };
  if (withProjects) {
    detail.projects = ctx.store.projectsIn(g.id).map((p) => projectEntity(ctx, p));
    detail.shared_projects = [];
  }
  return detail;
}

export function namespaceEntity(ctx: TEntityContext, ns: TNamespace): TJson {
  return {
    id: ns.id,
    name: ns.name,
    path: ns.path,
    kind: ns.kind,
    full_path: ctx.store.namespaceFullPath(ns),
    parent_id: ns.parentId,
    avatar_url: null,
    web_url: namespaceWebUrl(ctx, ns),
  };
}

function projectUrls(ctx: TEntityContext, p: TProject): TJson {
  const fullPath = ctx.store.projectFullPath(p);
  const web = `${ctx.baseUrl}/${fullPath}`;
  const head = p.repo.branches.get(p.defaultBranch);
  const hasReadme = head ? Boolean(p.repo.commits.get(head)?.files['README.md']) : false;
  return {
    ssh_url_to_repo: `git@${host(ctx)}:${fullPath}.git`,
    http_url_to_repo: `${web}.git`,
    web_url: web,
    readme_url: hasReadme ? `${web}/-/blob/${p.defaultBranch}/README.md` : null,
  };
}

export function basicProjectEntity(ctx: TEntityContext, p: TProject): TJson {
  const ns = ctx.store.namespace(p.namespaceId);
  return {
    id: p.id,
    description: p.description,
    name: p.name,
    name_with_namespace: `${ctx.store.namespaceFullName(ns)} / ${p.name}`,
    path: p.path,
    path_with_namespace: ctx.store.projectFullPath(p),
    created_at: p.createdAt,
    default_branch: p.defaultBranch,
    tag_list: [],
    topics: [],
    ...projectUrls(ctx, p),
    forks_count: [...ctx.store.projects.values()].filter((f) => f.forkedFromId === p.id).length,
    avatar_url: null,
    star_count: 0,
    last_activity_at: p.lastActivityAt,
    visibility: p.visibility,
    namespace: namespaceEntity(ctx, ns),
  };
}

export function projectEntity(ctx: TEntityContext, p: TProject): TJson {
  const ns = ctx.store.namespace(p.namespaceId);
  const base = basicProjectEntity(ctx, p);
  const web = base.web_url as string;
  const api = `${ctx.baseUrl}/api/v4/projects/${p.id}`;
  const entity: TJson = {
    ...base,
    _links: {
      self: api,
      issues: `${api}/issues`,
      merge_requests: `${api}/merge_requests`,
      repo_branches: `${api}/repository/branches`,
      labels: `${api}/labels`,
      events: `${api}/events`,
      members: `${api}/members`,
      cluster_agents: `${api}/cluster_agents`,
    },
    container_registry_image_prefix: `${host(ctx)}:5050/${ctx.store.projectFullPath(p)}`,
    packages_enabled: true,
    empty_repo: p.repo.isEmpty(),
    archived: p.archived,
    resolve_outdated_diff_discussions: false,
    container_registry_enabled: true,
    issues_enabled: true,
    merge_requests_enabled: true,
    wiki_enabled: true,
    jobs_enabled: true,
    snippets_enabled: true,
    shared_runners_enabled: true,
    lfs_enabled: true,
    creator_id: p.creatorId,
    import_url: null,
    import_type: null,
    import_status: p.importStatus,
    import_error: p.importError,
    open_issues_count: 0,
    ci_default_git_depth: 20,
    public_jobs: true,
    shared_with_groups: [],
    only_allow_merge_if_pipeline_succeeds: false,
    request_access_enabled: true,
    remove_source_branch_after_merge: true,
    printing_merge_request_link_enabled: true,
    merge_method: 'merge',
    squash_option: 'default_off',
    forking_access_level: p.forkingAccessLevel,
    issues_access_level: 'enabled',
    repository_access_level: 'enabled',
    merge_requests_access_level: 'enabled',
    builds_access_level: 'enabled',
    wiki_access_level: 'enabled',
    snippets_access_level: 'enabled',
    pages_access_level: 'private',
    marked_for_deletion_at: p.markedForDeletionOn,
    marked_for_deletion_on: p.markedForDeletionOn,
    web_url: web,
  };
  if (ns.kind === 'user' && ns.ownerId !== null) {
    const owner = ctx.store.users.get(ns.ownerId);
    if (owner) entity.owner = userBasicEntity(ctx, owner);
  }
  if (p.forkedFromId !== null) {
    const source = ctx.store.projects.get(p.forkedFromId);
    if (source) entity.forked_from_project = basicProjectEntity(ctx, source);
  }
  return entity;
}

/** Entities::ProjectWithAccess: the project plus the current user's direct and group access. */
export function projectWithAccessEntity(ctx: TEntityContext, p: TProject): TJson {
  const direct = p.members.find((m) => m.userId === ctx.currentUser.id);
  const ns = ctx.store.namespace(p.namespaceId);
  let groupLevel = 0;
  if (ns.kind === 'group') {
    for (const g of [ns, ...ctx.store.ancestors(ns)]) {
      const m = g.members.find((x) => x.userId === ctx.currentUser.id);
      if (m && m.accessLevel > groupLevel) groupLevel = m.accessLevel;
    }
  }
  return {
    ...projectEntity(ctx, p),
    permissions: {
      project_access: direct ? { access_level: direct.accessLevel, notification_level: 3 } : null,
      group_access: groupLevel > 0 ? { access_level: groupLevel, notification_level: 3 } : null,
    },
  };
}

export function userBasicEntity(ctx: TEntityContext, u: TUser): TJson {
  return {
    id: u.id,
    username: u.username,
    name: u.name,
    state: u.state,
    locked: false,
    avatar_url: `https://www.gravatar.com/avatar/${createHash('sha256').update(u.email.toLowerCase()).digest('hex')}?s=80&d=identicon`,
    web_url: `${ctx.baseUrl}/${u.username}`,
  };
}

/** Entities::UserPublic, plus the admin-only fields when the caller is an admin. */
export function userEntity(ctx: TEntityContext, u: TUser, self: boolean): TJson {
  const entity: TJson = {
    ...userBasicEntity(ctx, u),
    created_at: u.createdAt,
    bio: '',
    location: '',
    public_email: null,
    linkedin: '',
    twitter: '',
    website_url: '',
    organization: '',
    job_title: '',
    bot: false,
  };
  if (self || ctx.currentUser.isAdmin) {
    Object.assign(entity, {
      email: u.email,
      commit_email: u.email,
      projects_limit: 100000,
      can_create_group: true,
      can_create_project: true,
      two_factor_enabled: false,
      external: false,
      private_profile: false,
      namespace_id: u.namespaceId,
    });
  }
  if (ctx.currentUser.isAdmin) entity.is_admin = u.isAdmin;
  return entity;
}

export function memberEntity(ctx: TEntityContext, m: TMember): TJson {
  const user = ctx.store.users.get(m.userId);
  const creator = m.createdById === null ? undefined : ctx.store.users.get(m.createdById);
  return {
    ...(user ? userBasicEntity(ctx, user) : { id: m.userId }),
    access_level: m.accessLevel,
    created_at: m.createdAt,
    created_by: creator ? userBasicEntity(ctx, creator) : null,
    expires_at: m.expiresAt,
    membership_state: 'active',
  };
}

export function commitEntity(ctx: TEntityContext, p: TProject, c: TCommit): TJson {
  const [title = ''] = c.message.split('\n');
  return {
    id: c.id,
    short_id: c.id.slice(0, 8),
    created_at: c.committedDate,
    parent_ids: c.parentIds,
    title,
    message: c.message,
    author_name: c.authorName,
    author_email: c.authorEmail,
    authored_date: c.authoredDate,
    committer_name: c.committerName,
    committer_email: c.committerEmail,
    committed_date: c.committedDate,
    trailers: {},
    extended_trailers: {},
    web_url: `${ctx.baseUrl}/${ctx.store.projectFullPath(p)}/-/commit/${c.id}`,
  };
}

export function commitDetailEntity(ctx: TEntityContext, p: TProject, c: TCommit, withStats = true): TJson {
  const entity: TJson = { ...commitEntity(ctx, p, c) };
  if (withStats) entity.stats = p.repo.stats(c);
  entity.status = null;
  entity.project_id = p.id;
  entity.last_pipeline = null;
  return entity;
}

export function branchEntity(ctx: TEntityContext, p: TProject, name: string): TJson {
  const commit = p.repo.commits.get(p.repo.branches.get(name) as string) as TCommit;
  const protectedBranch = p.protectedBranches.find((b) => b.name === name);
  return {
    name,
    commit: commitEntity(ctx, p, commit),
    merged: false,
    protected: Boolean(protectedBranch),
    developers_can_push: protectedBranch ? protectedBranch.pushAccessLevel <= 30 : false,
    developers_can_merge: protectedBranch ? protectedBranch.mergeAccessLevel <= 30 : false,
    can_push: true,
    default: name === p.defaultBranch,
    web_url: `${ctx.baseUrl}/${ctx.store.projectFullPath(p)}/-/tree/${name}`,
  };
}

function accessLevelEntity(id: number, level: number): TJson {
  return { id, access_level: level, access_level_description: ACCESS_DESCRIPTIONS[level] ?? String(level), deploy_key_id: null, user_id: null, group_id: null };
}

export function protectedBranchEntity(b: TProtectedBranch): TJson {
  return {
    id: b.id,
    name: b.name,
    push_access_levels: [accessLevelEntity(b.id * 10 + 1, b.pushAccessLevel)],
    merge_access_levels: [accessLevelEntity(b.id * 10 + 2, b.mergeAccessLevel)],
    unprotect_access_levels: b.unprotectAccessLevel === null ? [] : [accessLevelEntity(b.id * 10 + 3, b.unprotectAccessLevel)],
    allow_force_push: b.allowForcePush,
    code_owner_approval_required: b.codeOwnerApprovalRequired,
  };
}

export function fileEntity(repo: Repository, commit: TCommit, path: string, ref: string): TJson {
  const file = repo.fileAt(commit, path);
  if (!file) throw new Error('fileEntity needs an existing file');
  return {
    file_name: path.slice(path.lastIndexOf('/') + 1),
    file_path: path,
    size: file.content.length,
    encoding: 'base64',
    content_sha256: createHash('sha256').update(file.content).digest('hex'),
    ref,
    blob_id: file.id,
    commit_id: commit.id,
    last_commit_id: repo.lastCommitFor(commit, path).id,
    execute_filemode: file.mode === '100755',
    content: file.content.toString('base64'),
  };
}

export function treeItemEntity(item: TTreeItem): TJson {
  return { id: item.id, name: item.name, type: item.type, path: item.path, mode: item.mode };
}
