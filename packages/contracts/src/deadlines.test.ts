import { effectiveDeadline, handInTiming, ZDeadlineBody, ZExtensionBody, type TContentDeadline } from './deadlines';

const t = (s: string) => new Date(s);
const content: TContentDeadline = { releaseAt: t('2026-12-01T00:00:00Z'), dueAt: t('2026-12-11T00:00:00Z'), lateUntil: t('2026-12-13T00:00:00Z'), latePolicy: 'accept' };

describe('effectiveDeadline', () => {
  it('is the content\'s without extension or factor', () => {
    expect(effectiveDeadline(content, { timeFactor: null }, null)).toEqual({ dueAt: content.dueAt, lateUntil: content.lateUntil, latePolicy: 'accept', source: 'content' });
  });

  it('stretches release -> due by the accommodation factor and moves the cut-off by as much', () => {
    const d = effectiveDeadline(content, { timeFactor: 1.5 }, null);
    expect(d).toMatchObject({ dueAt: t('2026-12-16T00:00:00Z'), lateUntil: t('2026-12-18T00:00:00Z'), source: 'accommodation' });
  });

  it('cannot stretch without a release time', () => {
    expect(effectiveDeadline({ ...content, releaseAt: null }, { timeFactor: 2 }, null).source).toBe('content');
  });

  it('takes an extension over the factor, keeping the cut-off distance unless the extension sets one', () => {
    expect(effectiveDeadline(content, { timeFactor: 2 }, { dueAt: t('2026-12-20T00:00:00Z'), lateUntil: null })).toMatchObject({ dueAt: t('2026-12-20T00:00:00Z'), lateUntil: t('2026-12-22T00:00:00Z'), source: 'extension' });
    expect(effectiveDeadline(content, { timeFactor: 2 }, { dueAt: t('2026-12-20T00:00:00Z'), lateUntil: t('2026-12-21T00:00:00Z') }).lateUntil).toEqual(t('2026-12-21T00:00:00Z'));
  });

  it('has no due time without one', () => {
    expect(effectiveDeadline({ releaseAt: null, dueAt: null, lateUntil: null, latePolicy: 'reject' }, { timeFactor: 1.5 }, null)).toEqual({ dueAt: null, lateUntil: null, latePolicy: 'reject', source: 'none' });
  });
});

describe('handInTiming', () => {
  const d = effectiveDeadline(content, { timeFactor: null }, null);
  it('is on time up to and at the due time, late until the cut-off, refused after it', () => {
    expect(handInTiming(d, t('2026-12-11T00:00:00Z'))).toEqual({ late: false, refused: null });
    expect(handInTiming(d, t('2026-12-12T00:00:00Z'))).toEqual({ late: true, refused: null });
    expect(handInTiming(d, t('2026-12-13T00:00:01Z')).refused).toMatch(/cut-off/);
  });

  it('refuses anything late under the reject policy', () => {
    expect(handInTiming({ ...d, latePolicy: 'reject', lateUntil: null }, t('2026-12-11T00:00:01Z')).refused).toMatch(/no late hand-ins/);
  });
});

describe('deadline bodies', () => {
  it('want offsets and an order of release, due and cut-off', () => {
    expect(ZDeadlineBody.safeParse({ dueAt: '2026-12-11T00:00:00' }).success).toBe(false);
    expect(ZDeadlineBody.parse({ dueAt: '2026-12-11T01:00:00+01:00' }).dueAt).toEqual(t('2026-12-11T00:00:00Z'));
    const paths = (input: unknown) => ZDeadlineBody.safeParse(input).error?.issues.map((i) => i.path.join('.'));
    expect(paths({ releaseAt: '2026-12-12T00:00:00Z', dueAt: '2026-12-11T00:00:00Z' })).toEqual(['dueAt']);
    expect(paths({ dueAt: '2026-12-11T00:00:00Z', lateUntil: '2026-12-10T00:00:00Z' })).toEqual(['lateUntil']);
    expect(paths({ dueAt: '2026-12-11T00:00:00Z', lateUntil: '2026-12-12T00:00:00Z', latePolicy: 'reject' })).toEqual(['lateUntil']);
    expect(ZExtensionBody.safeParse({ dueAt: '2026-12-11T00:00:00Z', lateUntil: '2026-12-10T00:00:00Z' }).success).toBe(false);
  });
});
