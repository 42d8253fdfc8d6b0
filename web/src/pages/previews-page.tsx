import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { PHASES } from '../../../src/domain/vocabulary.ts';
import { api, type ListQuery, type Phase, unwrap } from '../api/client';
import { GithubAppNotice } from '../components/github-app-notice';
import { PhaseBadge } from '../components/phase-badge';
import { RelativeTime } from '../components/relative-time';
import { ResourceUse } from '../components/resource-use';
import { Link, navigate, useLocation } from '../router';

const PAGE_SIZE = 50;
const SORTS: Record<NonNullable<ListQuery['sort']>, string> = {
  updated: 'newest activity first',
  created: 'newest first',
  stale: 'least recent activity first',
};

/** `/`: the previews the user may see, filtered, paged, live. */
export function PreviewsPage() {
  const { search } = useLocation();
  const phase = search.get('phase') ?? '';
  const repo = search.get('repo') ?? '';
  const text = search.get('q') ?? '';
  const cursor = search.get('cursor') ?? '';
  const sort = (search.get('sort') ?? 'updated') as NonNullable<ListQuery['sort']>;
  const query: ListQuery = {
    limit: PAGE_SIZE,
    sort,
    usage: 'true',
    ...(phase === '' ? {} : { status: phase as Phase }),
    ...(repo === '' ? {} : { repo }),
    ...(text === '' ? {} : { q: text }),
    ...(cursor === '' ? {} : { cursor }),
  };
  const list = useQuery({
    queryKey: ['environments', query],
    queryFn: async () => unwrap(await api.GET('/api/v1/environments', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const [history, setHistory] = useState<string[]>([]);
  const go = (changes: Record<string, string>, keepHistory = false) => {
    const next = new URLSearchParams(search);
    for (const [name, value] of Object.entries(changes)) {
      if (value === '') next.delete(name);
      else next.set(name, value);
    }
    if (!keepHistory) setHistory([]);
    const qs = next.toString();
    navigate(qs === '' ? '/' : `/?${qs}`);
  };
  const applyFilters = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    go({
      phase: String(form.get('phase') ?? ''),
      repo: String(form.get('repo') ?? '').trim(),
      q: String(form.get('q') ?? '').trim(),
      sort: String(form.get('sort') ?? 'updated') === 'updated' ? '' : String(form.get('sort')),
      cursor: '',
    });
  };
  const items = list.data?.items ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Previews</h1>
      <GithubAppNotice />
      <form className="filters" onSubmit={applyFilters} aria-label="Filter previews" key={search.toString()}>
        <label>
          Phase
          <select name="phase" defaultValue={phase}>
            <option value="">all but deleted</option>
            {PHASES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Repository
          <input name="repo" defaultValue={repo} placeholder="owner/name" />
        </label>
        <label>
          Search
          <input name="q" type="search" defaultValue={text} placeholder="title, branch, namespace" />
        </label>
        <label>
          Sort
          <select name="sort" defaultValue={sort}>
            {Object.entries(SORTS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply filters</button>
      </form>
      {list.isError ? (
        <p role="alert" className="error">
          {list.error.message}
        </p>
      ) : null}
      <div className="table-wrap">
        <table className="previews">
          <caption className="visually-hidden">Previews, {SORTS[sort] ?? SORTS.updated}</caption>
          <thead>
            <tr>
              <th scope="col">Pull request</th>
              <th scope="col">Author</th>
              <th scope="col">Branch</th>
              <th scope="col">Phase</th>
              <th scope="col">Deployed</th>
              <th scope="col">URL</th>
              <th scope="col">Updated</th>
              <th scope="col">CPU · memory</th>
            </tr>
          </thead>
          <tbody>
            {items.map((env) => (
              <tr key={env.id}>
                <td>
                  <Link to={`/environments/${env.namespace}`} className="pr-link">
                    <span className="repo">{env.repo}</span> #{env.prNumber}
                  </Link>
                  <div className="title">{env.prTitle ?? ''}</div>
                </td>
                <td>{env.author ?? '—'}</td>
                <td className="mono">{env.branch ?? '—'}</td>
                <td>
                  <PhaseBadge environment={env} />
                </td>
                <td className="mono">{env.deployedSha?.slice(0, 7) ?? '—'}</td>
                <td>
                  {env.url !== null && env.phase === 'running' ? (
                    <a href={env.url} rel="noreferrer noopener" target="_blank">
                      {env.url.replace(/^https?:\/\//, '')}
                    </a>
                  ) : (
                    '—'
                  )}
                </td>
                <td>
                  <RelativeTime iso={env.updatedAt} />
                </td>
                <td>
                  <ResourceUse environment={env} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.isSuccess && items.length === 0 ? (
        <p className="empty">
          No previews
          {phase || repo || text
            ? ' match these filters'
            : ' yet: open a pull request on a connected repository'}
          .
        </p>
      ) : null}
      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursor === ''}
          onClick={() => {
            const previous = history.at(-1) ?? '';
            setHistory(history.slice(0, -1));
            go({ cursor: previous }, true);
          }}
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() => {
            setHistory([...history, cursor]);
            go({ cursor: list.data?.nextCursor ?? '' }, true);
          }}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
