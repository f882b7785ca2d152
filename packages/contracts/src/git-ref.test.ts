import { ZGitRef } from './workflows/grading';

describe('ZGitRef', () => {
  it.each(['main', 'feature/x', 'v1.2', 'a1b2c3d', 'f'.repeat(40), 'release-2026_ws'])('accepts %s', (ref) => {
    expect(ZGitRef.safeParse(ref).success).toBe(true);
  });

  it.each(['', '../etc', 'a..b', '-rf', '/abs', 'dir/', 'x.lock', 'a b', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', 'a@{1}', '@', 'x/.hidden', 'a//b', 'tab\there', 'x'.repeat(256)])('refuses %j', (ref) => {
    expect(ZGitRef.safeParse(ref).success).toBe(false);
  });
});
