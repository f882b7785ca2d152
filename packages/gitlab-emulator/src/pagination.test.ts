import type { IncomingMessage } from 'node:http';
import { paginate } from './pagination';

const req = (url: string) => ({ url }) as IncomingMessage;

describe('paginate', () => {
  const items = Array.from({ length: 45 }, (_, i) => i);

  it('slices pages and sets GitLab headers', () => {
    const page = paginate(req('/api/v4/groups?search=x&page=2&per_page=20'), 'http://h:1', { page: '2', per_page: '20' }, items);
    expect(page.items[0]).toBe(20);
    expect(page.headers).toMatchObject({ 'x-page': '2', 'x-per-page': '20', 'x-total': '45', 'x-total-pages': '3', 'x-next-page': '3', 'x-prev-page': '1' });
    expect(page.headers.link).toBe(
      [
        '<http://h:1/api/v4/groups?search=x&page=1&per_page=20>; rel="prev"',
        '<http://h:1/api/v4/groups?search=x&page=3&per_page=20>; rel="next"',
        '<http://h:1/api/v4/groups?search=x&page=1&per_page=20>; rel="first"',
        '<http://h:1/api/v4/groups?search=x&page=3&per_page=20>; rel="last"',
      ].join(', '),
    );
  });

  it('defaults to 20 per page, caps at 100 and reports one page when empty', () => {
    expect(paginate(req('/x'), 'http://h', {}, items).items).toHaveLength(20);
    expect(paginate(req('/x'), 'http://h', { per_page: '1000' }, items).headers['x-per-page']).toBe('100');
    expect(paginate(req('/x'), 'http://h', {}, []).headers).toMatchObject({ 'x-total': '0', 'x-total-pages': '1', 'x-next-page': '' });
  });
});
