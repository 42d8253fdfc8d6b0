import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { postAuth, signInMethods } from '../api/client';
import { navigate, useLocation } from '../router';

/** Where to go after signing in: a path of this app, never another site. */
function nextPath(search: URLSearchParams): string {
  const next = search.get('next') ?? '/';
  return /^\/(?![/\\])/.test(next) && next !== '/sign-in' ? next : '/';
}

/**
 * `/sign-in`: with GitHub when configured, with a token always. The first start's link carries the
 * one-time token in the fragment (`#token=…`), which never reaches the server's logs: it is read here,
 * removed from the address bar, and exchanged for a session.
 */
export function SignInPage() {
  const { search } = useLocation();
  const next = nextPath(search);
  const queryClient = useQueryClient();
  const methods = useQuery({ queryKey: ['sign-in-methods'], queryFn: signInMethods });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const fromLink = useRef(false);

  const signIn = async (token: string) => {
    setBusy(true);
    setError('');
    try {
      await postAuth('/auth/token', { token });
      queryClient.clear();
      navigate(next, { replace: true });
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : 'Signing in failed.');
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
    if (token === null || fromLink.current) return;
    fromLink.current = true;
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    void signIn(token);
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const token = String(new FormData(event.currentTarget).get('token') ?? '').trim();
    if (token !== '') void signIn(token);
  };
  return (
    <main className="sign-in" id="main">
      <h1 tabIndex={-1}>Sign in to Glimpse</h1>
      {methods.data?.github ? (
        <p>
          <a className="button primary" href={`/auth/github/login?returnTo=${encodeURIComponent(next)}`}>
            Sign in with GitHub
          </a>
        </p>
      ) : null}
      <form onSubmit={submit} aria-labelledby="token-heading">
        <h2 id="token-heading">Sign in with a token</h2>
        <p className="muted">
          An API token (<code>glimpse tokens create &lt;login&gt;</code>) or the one-time token of the first
          start.
        </p>
        <label>
          Token
          <input name="token" type="password" autoComplete="off" required />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {error === '' ? null : (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </main>
  );
}
