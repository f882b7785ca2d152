import { studentRepositoryPath, ZPathSegment, ZUsername } from './ids';

describe('ZPathSegment (GitLab slug rule)', () => {
  it.each(['_lead', 'trail-', 'a--b', 'a._b', 'x.', 'ab.git', '-x'])('refuses %s', (path) => {
    expect(ZPathSegment.safeParse(path).success).toBe(false);
  });
  it.each(['ab', 'max-power', 'a.b_c-d', 'u2'])('accepts %s', (path) => {
    expect(ZPathSegment.safeParse(path).success).toBe(true);
  });
});

describe('studentRepositoryPath', () => {
  it('keeps a username that is a valid path', () => {
    expect(studentRepositoryPath({ id: 'u1', username: 'max-power' })).toBe('max-power');
  });

  it.each(['max--power', 'max__power', 'max.-power', 'Max..Power'])('derives a valid, distinct path from %s', (username) => {
    expect(ZUsername.safeParse('max--power').success).toBe(true);
    const path = studentRepositoryPath({ id: 'u2', username });
    expect(path).toMatch(/^max-power-[0-9a-f]{8}$/);
    expect(ZPathSegment.safeParse(path).success).toBe(true);
    expect(path).not.toBe(studentRepositoryPath({ id: 'u3', username }));
  });

  it('stays valid when the cut lands on a separator', () => {
    const path = studentRepositoryPath({ id: 'u4', username: `${'a'.repeat(39)}__b` });
    expect(ZPathSegment.safeParse(path).success).toBe(true);
  });
});
