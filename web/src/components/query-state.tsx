import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';

/** A page's data: loading, the error in words, or what to show with it. */
export function QueryState<T>({
  query,
  children,
}: {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <p className="muted">Loading…</p>;
  if (query.isError)
    return (
      <p role="alert" className="error">
        {query.error.message}
      </p>
    );
  return <>{children(query.data)}</>;
}
