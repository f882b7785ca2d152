import { plainStepError } from './plain-error';

describe('plainStepError', () => {
  it('names the unknown user and what to do', () => {
    expect(plainStepError({ step: 'user', type: 'GitlabUserNotFound', message: 'No GitLab user "max" for max@a.org', username: 'max' })).toBe(
      "GitLab has no user 'max' — create the account or fix the username.",
    );
  });

  it('says a 403 is the token\'s permission, with GitLab\'s words and the step', () => {
    const text = plainStepError({ step: 'access', type: 'GitlabAuthError', message: 'finalize repository of max: POST /projects/:id/members: 403: 403 Forbidden', username: 'max' });
    expect(text).toMatch(/^GitLab refused: the token lacks permission to give the student write access to their repository \(GitLab said: 403 Forbidden\)\./);
  });

  it('reports a fork that timed out with its limit', () => {
    expect(plainStepError({ step: 'repository', type: 'ForkUnavailable', message: 'The fork did not finish within 120 s', username: 'm' })).toBe(
      'The fork did not finish within 120 s, and copying the template instead failed too.',
    );
  });

  it('explains exhausted retries and untyped failures without internals', () => {
    expect(plainStepError({ step: 'repository', type: 'GitlabTransientError', message: 'x: 502', username: 'm' })).toMatch(/until the retries ran out/);
    expect(plainStepError({ step: 'membership', type: null, message: 'Activity task timed out', username: 'm' })).toMatch(/took too long/);
    expect(plainStepError({ step: 'user', type: 'PreconditionFailed', message: 'Course c is not set up in GitLab yet: run setup-gitlab first', username: 'm' })).toMatch(/not set up in GitLab yet/);
  });
});
