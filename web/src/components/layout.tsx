import { useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { type Me, postAuth, setCsrfToken } from '../api/client';
import { useEnvironmentChanges } from '../live/use-environment-changes';
import { Link, navigate, useLocation } from '../router';

/** The frame of every signed-in page: navigation, who is signed in, sign out; live updates run here. */
export function Layout({ me, children }: { me: Me; children: ReactNode }) {
  useEnvironmentChanges();
  const queryClient = useQueryClient();
  const { path } = useLocation();
  const links = [
    { to: '/', label: 'Previews', current: path === '/' || path.startsWith('/environments/') },
    { to: '/repositories', label: 'Repositories', current: path === '/repositories' },
    ...(me.isAdmin
      ? [
          { to: '/deliveries', label: 'Deliveries', current: path === '/deliveries' },
          { to: '/audit', label: 'Audit', current: path === '/audit' },
        ]
      : []),
    { to: '/account', label: 'Account', current: path === '/account' },
  ];
  const signOut = async () => {
    await postAuth('/auth/logout', {});
    setCsrfToken(null);
    queryClient.clear();
    navigate('/sign-in');
  };
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Glimpse</span>
        <nav aria-label="Main">
          <ul>
            {links.map((link) => (
              <li key={link.to}>
                <Link to={link.to} aria-current={link.current ? 'page' : undefined}>
                  {link.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          {me.login}
          {me.isAdmin ? ' (admin)' : ''}
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main id="main">{children}</main>
    </>
  );
}
