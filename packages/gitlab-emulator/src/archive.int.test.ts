import { Gitlab } from '@gitbeaker/rest';
import { gunzipSync, inflateRawSync } from 'node:zlib';
import { startGitlabEmulator, type TGitlabEmulator } from './index';

const TOKEN = 'archive-test-token';
const GUEST = 'archive-guest-token';
const REPORTER = 'archive-reporter-token';
let emu: TGitlabEmulator;
let api: InstanceType<typeof Gitlab>;
let projectId: number;
let first: string;
let second: string;

beforeAll(async () => {
  emu = await startGitlabEmulator({
    token: TOKEN,
    tokens: [
      { token: GUEST, username: 'guest', admin: false },
      { token: REPORTER, username: 'reporter', admin: false },
    ],
  });
  api = new Gitlab({ host: emu.url, token: TOKEN });
  emu.reset();
  const group = await api.Groups.create('Course', 'course');
  const project = await api.Projects.create({ name: 'hand-in', namespaceId: group.id });
  projectId = project.id;
  first = (await api.Commits.create(projectId, 'main', 'first', [
    { action: 'create', filePath: 'src/main.py', content: 'print(1)\n' },
    { action: 'create', filePath: 'README.md', content: '# r\n' },
  ])).id;
  second = (await api.Commits.create(projectId, 'main', 'second', [
    { action: 'update', filePath: 'src/main.py', content: 'print(2)\n' },
    { action: 'create', filePath: 'src/lib/util.py', content: 'x = 1\n', executeFilemode: true } as never,
  ])).id;
  const users = emu.state().users;
  const id = (name: string) => users.find((u) => u.username === name)?.id as number;
  await api.ProjectMembers.add(projectId, 10, { userId: id('guest') });
  await api.ProjectMembers.add(projectId, 20, { userId: id('reporter') });
});
afterAll(() => emu.close());

function get(path: string, token = TOKEN): Promise<Response> {
  return fetch(`${emu.url}/api/v4${path}`, { headers: { 'PRIVATE-TOKEN': token } });
}

interface TEntry {
  name: string;
  type: string;
  mode: number;
  data: Buffer;
}

function untar(tar: Buffer): TEntry[] {
  const out: TEntry[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const field = (a: number, n: number) => h.subarray(a, a + n).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12), 8);
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    out.push({ name, type: field(156, 1), mode: parseInt(field(100, 8), 8), data: tar.subarray(off + 512, off + 512 + size) });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

function unzip(zip: Buffer): { comment: string; entries: Array<{ name: string; data: Buffer }> } {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let cd = zip.readUInt32LE(end + 16);
  const comment = zip.subarray(end + 22, end + 22 + zip.readUInt16LE(end + 20)).toString();
  const entries: Array<{ name: string; data: Buffer }> = [];
  for (let i = 0; i < count; i += 1) {
    const method = zip.readUInt16LE(cd + 10);
    const csize = zip.readUInt32LE(cd + 20);
    const nameLen = zip.readUInt16LE(cd + 28);
    const extra = zip.readUInt16LE(cd + 30);
    const cmt = zip.readUInt16LE(cd + 32);
    const local = zip.readUInt32LE(cd + 42);
    const name = zip.subarray(cd + 46, cd + 46 + nameLen).toString();
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const body = zip.subarray(start, start + csize);
    entries.push({ name, data: method === 8 ? inflateRawSync(body) : body });
    cd += 46 + nameLen + extra + cmt;
  }
  return { comment, entries };
}

describe('repository archive', () => {
  it('serves tar.gz of the default branch by default, under <project>-<ref>-<sha>/ with a pax header', async () => {
    const res = await get(`/projects/${projectId}/repository/archive`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const prefix = `hand-in-main-${second}`;
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${prefix}.tar.gz"`);
    const entries = untar(gunzipSync(Buffer.from(await res.arrayBuffer())));
    expect(entries[0]).toMatchObject({ name: 'pax_global_header', type: 'g' });
    expect(entries[0]?.data.toString()).toBe(`52 comment=${second}\n`);
    expect(entries.slice(1).map((e) => e.name)).toEqual([
      `${prefix}/`,
      `${prefix}/README.md`,
      `${prefix}/src/`,
      `${prefix}/src/lib/`,
      `${prefix}/src/lib/util.py`,
      `${prefix}/src/main.py`,
    ]);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get(`${prefix}/src/main.py`)?.data.toString()).toBe('print(2)\n');
    expect(byName.get(`${prefix}/src/lib/util.py`)?.mode).toBe(0o775);
    expect(byName.get(`${prefix}/README.md`)?.mode).toBe(0o664);
  });

  it('archives an older commit by sha, and a subdirectory with `path`', async () => {
    const old = untar(Buffer.from(await (await get(`/projects/${projectId}/repository/archive.tar?sha=${first}`)).arrayBuffer()));
    const oldPrefix = `hand-in-${first}-${first}`;
    expect(old.filter((e) => e.type === '0').map((e) => [e.name, e.data.toString()])).toEqual([
      [`${oldPrefix}/README.md`, '# r\n'],
      [`${oldPrefix}/src/main.py`, 'print(1)\n'],
    ]);

    const short = await get(`/projects/${projectId}/repository/archive.tar?sha=${first.slice(0, 8)}`);
    expect(short.headers.get('content-disposition')).toContain(`hand-in-${first.slice(0, 8)}-${first}.tar`);

    const sub = untar(gunzipSync(Buffer.from(await (await get(`/projects/${projectId}/repository/archive.tar.gz?path=src/lib`)).arrayBuffer())));
    const subPrefix = `hand-in-main-${second}-src-lib`;
    expect(sub.slice(1).map((e) => e.name)).toEqual([`${subPrefix}/`, `${subPrefix}/src/`, `${subPrefix}/src/lib/`, `${subPrefix}/src/lib/util.py`]);
  });

  it('serves zip with the commit id as archive comment', async () => {
    const res = await get(`/projects/course%2Fhand-in/repository/archive.zip?sha=main`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const { comment, entries } = unzip(Buffer.from(await res.arrayBuffer()));
    expect(comment).toBe(second);
    const prefix = `hand-in-main-${second}`;
    expect(entries.find((e) => e.name === `${prefix}/src/main.py`)?.data.toString()).toBe('print(2)\n');
    expect(entries.map((e) => e.name)).toContain(`${prefix}/src/lib/`);
  });

  it('answers as GitLab for unknown refs, paths and formats', async () => {
    const unknown = await get(`/projects/${projectId}/repository/archive?sha=nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: '404 File Not Found' });
    expect((await get(`/projects/${projectId}/repository/archive?path=missing`)).status).toBe(404);
    const rar = await get(`/projects/${projectId}/repository/archive.rar`);
    expect(rar.status).toBe(404);
    expect(await rar.json()).toEqual({ error: '404 Not Found' });
    expect((await get(`/projects/${projectId}/repository/archive.tar.bz2`)).status).toBe(406);
  });

  it('needs Reporter on a private project; others get 403, strangers 404', async () => {
    expect((await get(`/projects/${projectId}/repository/archive`, REPORTER)).status).toBe(200);
    const guest = await get(`/projects/${projectId}/repository/archive`, GUEST);
    expect(guest.status).toBe(403);
    await api.ProjectMembers.remove(projectId, emu.state().users.find((u) => u.username === 'guest')?.id as number);
    const stranger = await get(`/projects/${projectId}/repository/archive`, GUEST);
    expect(stranger.status).toBe(404);
    expect(await stranger.json()).toEqual({ message: '404 Project Not Found' });
    expect((await get(`/projects/99999/repository/archive`)).status).toBe(404);
  });

  it('works through gitbeaker', async () => {
    const blob = (await api.Repositories.showArchive(projectId, { fileType: 'tar', sha: first })) as unknown as Blob;
    const entries = untar(Buffer.from(await blob.arrayBuffer()));
    expect(entries.some((e) => e.name.endsWith('/src/main.py'))).toBe(true);
  });
});
