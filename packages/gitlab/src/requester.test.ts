import { normalizeRoute } from './requester';

describe('normalizeRoute', () => {
  it.each([
    ['groups', 'groups'],
    ['groups/42', 'groups/:id'],
    ['groups/org%2Ffamily%2Fcourse', 'groups/:id'],
    ['groups/7/members/12', 'groups/:id/members/:id'],
    ['projects/7/members/all/12', 'projects/:id/members/all/:id'],
    ['projects/org%2Fc%2Fstudent-template/fork', 'projects/:id/fork'],
    ['projects/7/protected_branches/main', 'projects/:id/protected_branches/:id'],
    ['projects/7/repository/files/src%2Fmain.py', 'projects/:id/repository/files/:id'],
    ['projects/7/repository/files/src%2Fmain.py/raw', 'projects/:id/repository/files/:id/raw'],
    ['projects/7/repository/commits', 'projects/:id/repository/commits'],
    ['projects/7/repository/branches/feature%2Fx', 'projects/:id/repository/branches/:id'],
    ['users?username=alice', 'users'],
  ])('%s -> %s', (endpoint, route) => {
    expect(normalizeRoute(endpoint)).toBe(route);
  });
});
