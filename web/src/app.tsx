import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { ApiError, api, setCsrfToken, unwrap, whenUnauthorized } from './api/client';
import { Layout } from './components/layout';
import { AccountPage } from './pages/account-page';
import { AuditPage } from './pages/audit-page';
import { DeliveriesPage } from './pages/deliveries-page';
import { PreviewPage } from './pages/preview-page';
import { PreviewsPage } from './pages/previews-page';
import { RepositoriesPage } from './pages/repositories-page';
import { SignInPage } from './pages/sign-in-page';
import { currentReturnPath, navigate, useLocation } from './router';

function toSignIn(): void {
  if (window.location.pathname === '/sign-in') return;
  navigate(`/sign-in?next=${encodeURIComponent(currentReturnPath())}`, { replace: true });
}
whenUnauthorized(toSignIn);

/** The app: sign-in, or the signed-in pages (routed by path, history API). */
export function App() {
  const { path, href } = useLocation();
  const signingIn = path === '/sign-in';
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      const answer = unwrap(await api.GET('/api/v1/me'));
      setCsrfToken(answer.csrfToken);
      return answer;
    },
    enabled: !signingIn,
    retry: (count, error) => !(error instanceof ApiError && error.status === 401) && count < 2,
  });
  // A new page: focus its heading, so keyboard and screen reader users start there.
  // biome-ignore lint/correctness/useExhaustiveDependencies: it runs because the page changed, not to read them
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: true });
  }, [href, me.isSuccess]);
  if (signingIn) return <SignInPage />;
  if (me.isError)
    return (
      <main id="main">
        <h1>Glimpse</h1>
        <p role="alert" className="error">
          {me.error.message}
        </p>
      </main>
    );
  if (me.isPending)
    return (
      <main id="main" aria-busy="true">
        <p className="muted">Loading…</p>
      </main>
    );
  return <Layout me={me.data}>{page(path, me.data)}</Layout>;
}

function page(path: string, me: Parameters<typeof AccountPage>[0]['me']) {
  const preview = /^\/environments\/([^/]+)$/.exec(path);
  if (preview?.[1] !== undefined) return <PreviewPage namespace={decodeURIComponent(preview[1])} />;
  if (path === '/account') return <AccountPage me={me} />;
  if (path === '/repositories') return <RepositoriesPage />;
  if (path === '/deliveries') return <DeliveriesPage />;
  if (path === '/audit') return <AuditPage />;
  if (path === '/') return <PreviewsPage />;
  return (
    <>
      <h1 tabIndex={-1}>Not found</h1>
      <p>There is no page at {path}.</p>
    </>
  );
}
