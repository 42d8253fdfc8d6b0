import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, unwrap } from '../api/client';
import { QueryState } from './query-state';
import { RelativeTime } from './relative-time';

/** The user's own API tokens: create (the token is shown once) and revoke. */
export function ApiTokens() {
  const queryClient = useQueryClient();
  const tokens = useQuery({
    queryKey: ['tokens'],
    queryFn: async () => unwrap(await api.GET('/api/v1/tokens')),
  });
  const [created, setCreated] = useState<string | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['tokens'] });
  const create = useMutation({
    mutationFn: async (name: string) =>
      unwrap(await api.POST('/api/v1/tokens', { params: { query: { name } } })),
    onSuccess: (answer) => {
      setCreated(answer.token);
      refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: async (id: string) =>
      unwrap(await api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const name = String(new FormData(event.currentTarget).get('name') ?? '').trim();
    if (name !== '') create.mutate(name);
  };
  return (
    <section aria-labelledby="tokens-heading">
      <h2 id="tokens-heading">API tokens</h2>
      <form onSubmit={submit} className="filters">
        <label>
          Token name
          <input name="name" required maxLength={100} placeholder="my-agent" />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create token
        </button>
      </form>
      {created === null ? null : (
        <p role="status">
          Your new token, shown only now: <code className="new-token">{created}</code>
        </p>
      )}
      {create.isError || revoke.isError ? (
        <p role="alert" className="error">
          {(create.error ?? revoke.error)?.message}
        </p>
      ) : null}
      <QueryState query={tokens}>
        {(data) =>
          data.items.length === 0 ? (
            <p className="empty">No API tokens.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Starts with</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((token) => (
                  <tr key={token.id}>
                    <td>{token.name}</td>
                    <td className="mono">{token.prefix}…</td>
                    <td>
                      <RelativeTime iso={token.createdAt} />
                    </td>
                    <td>
                      <RelativeTime iso={token.lastUsedAt} />
                    </td>
                    <td>
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Revoke ${token.name}`}
                        onClick={() => revoke.mutate(token.id)}
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </QueryState>
    </section>
  );
}
