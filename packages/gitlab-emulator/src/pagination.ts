import type { IncomingMessage } from 'node:http';
import { int, type TInput } from './params';

export interface TPage<T> {
  items: T[];
  headers: Record<string, string>;
}

const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 100;

/** Offset pagination with GitLab's headers: x-total, x-total-pages, x-page, x-per-page, x-next-page, x-prev-page, Link. */
export function paginate<T>(req: IncomingMessage, baseUrl: string, input: TInput, all: T[]): TPage<T> {
  let page = int(input, 'page') ?? 1;
  let perPage = int(input, 'per_page') ?? DEFAULT_PER_PAGE;
  if (page < 1) page = 1;
  if (perPage < 1) perPage = DEFAULT_PER_PAGE;
  if (perPage > MAX_PER_PAGE) perPage = MAX_PER_PAGE;
  const total = all.length;
  // GitLab reports at least one page, even for an empty collection.
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  const next = page < totalPages ? page + 1 : null;
  const prev = page > 1 ? page - 1 : null;

  const url = new URL(req.url ?? '/', baseUrl);
  const linkFor = (p: number) => {
    const u = new URL(url.pathname, baseUrl);
    for (const [k, v] of url.searchParams) if (k !== 'page' && k !== 'per_page') u.searchParams.append(k, v);
    u.searchParams.set('page', String(p));
    u.searchParams.set('per_page', String(perPage));
    return u.toString();
  };
  const links: string[] = [];
  if (prev !== null) links.push(`<${linkFor(prev)}>; rel="prev"`);
  if (next !== null) links.push(`<${linkFor(next)}>; rel="next"`);
  links.push(`<${linkFor(1)}>; rel="first"`);
  links.push(`<${linkFor(totalPages)}>; rel="last"`);

  return {
    items,
    headers: {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-total': String(total),
      'x-total-pages': String(totalPages),
      'x-next-page': next === null ? '' : String(next),
      'x-prev-page': prev === null ? '' : String(prev),
      link: links.join(', '),
    },
  };
}

/**
 * Keyset pagination (`pagination=keyset`, GitLab's `Gitlab::Pagination::Keyset` for `GET /projects`
 * ordered by id): `id_after`/`id_before` select the page, `Link` has `rel="next"` only while more
 * rows follow, and no x-total/x-page headers are sent. `all` must already be sorted by id.
 */
export function keysetPaginate<T extends { id: number }>(req: IncomingMessage, baseUrl: string, input: TInput, all: T[], desc: boolean): TPage<T> {
  let perPage = int(input, 'per_page') ?? DEFAULT_PER_PAGE;
  if (perPage < 1) perPage = DEFAULT_PER_PAGE;
  if (perPage > MAX_PER_PAGE) perPage = MAX_PER_PAGE;
  const after = int(input, 'id_after');
  const before = int(input, 'id_before');
  const rest = all.filter((x) => (after === undefined || x.id > after) && (before === undefined || x.id < before));
  const items = rest.slice(0, perPage);
  const headers: Record<string, string> = { 'x-per-page': String(perPage) };
  const last = items[items.length - 1];
  if (rest.length > perPage && last) {
    const url = new URL(req.url ?? '/', baseUrl);
    const u = new URL(url.pathname, baseUrl);
    for (const [k, v] of url.searchParams) if (k !== 'id_after' && k !== 'id_before' && k !== 'per_page') u.searchParams.append(k, v);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set(desc ? 'id_before' : 'id_after', String(last.id));
    headers.link = `<${u.toString()}>; rel="next"`;
  }
  return { items, headers };
}
