import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { EnvironmentDetail, EnvironmentPage, EnvironmentView } from '../api/client';

const STREAM = '/api/v1/environment-changes';

/**
 * Keeps the query cache live: one event stream of environment changes (the server filters it by what
 * this user may see). Each change patches the cached lists and preview at once; lists are then reloaded
 * (debounced) so order and filters stay right. The browser resumes the stream with Last-Event-ID.
 */
export function useEnvironmentChanges(): void {
  const queryClient = useQueryClient();
  useEffect(() => {
    let source: EventSource | undefined;
    let reopen: ReturnType<typeof setTimeout> | undefined;
    const refresh = debounced(() => void queryClient.invalidateQueries({ queryKey: ['environments'] }), 150);
    const open = () => {
      const openedAt = Date.now();
      source = new EventSource(STREAM);
      source.addEventListener('environment', (event) => {
        applyChange(queryClient, JSON.parse((event as MessageEvent<string>).data) as EnvironmentView);
        refresh();
      });
      source.addEventListener('reset', () => void queryClient.invalidateQueries());
      // Whatever was loaded before the stream listened may have missed a change.
      source.addEventListener('ready', () => {
        void queryClient.invalidateQueries({
          predicate: (query) =>
            (query.queryKey[0] === 'environments' || query.queryKey[0] === 'environment') &&
            query.state.dataUpdatedAt < openedAt,
        });
      });
      source.addEventListener('error', () => {
        if (source?.readyState === EventSource.CLOSED) reopen = setTimeout(open, 2_000);
      });
    };
    open();
    return () => {
      clearTimeout(reopen);
      source?.close();
    };
  }, [queryClient]);
}

function applyChange(queryClient: QueryClient, change: EnvironmentView): void {
  queryClient.setQueriesData<EnvironmentPage>({ queryKey: ['environments'] }, (page) =>
    page === undefined
      ? page
      : {
          ...page,
          items: page.items.map((item) => (item.id === change.id ? keepUsage(item, change) : item)),
        },
  );
  const key = ['environment', change.namespace];
  const before = queryClient.getQueryData<EnvironmentDetail>(key);
  if (before === undefined) return;
  queryClient.setQueryData<EnvironmentDetail>(key, { ...before, ...keepUsage(before, change) });
  // Every announced change wrote the timeline entries that explain it (a gate's reason changes no phase).
  void queryClient.invalidateQueries({ queryKey: [...key, 'events'] });
  // The history and what may be done follow the phase, the commits, what it waits for and whether work is under
  // way: load those again.
  if (
    before.phase !== change.phase ||
    before.statusDetail !== change.statusDetail ||
    before.settled !== change.settled ||
    before.deployedSha !== change.deployedSha ||
    before.headSha !== change.headSha
  )
    void queryClient.invalidateQueries({ queryKey: key });
}

/** List events carry no resource use (only single reads measure it): keep what was measured. */
function keepUsage<T extends EnvironmentView>(before: T, change: EnvironmentView): T {
  return {
    ...before,
    ...change,
    resources: change.resources.usage === null ? before.resources : change.resources,
  };
}

function debounced(run: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(run, ms);
  };
}
