import type { Me } from '../api/client';
import { ApiTokens } from '../components/api-tokens';

/** `/account`: teams and roles, and how to point an MCP client at this server. */
export function AccountPage({ me }: { me: Me }) {
  const origin = window.location.origin;
  const http = JSON.stringify(
    {
      mcpServers: {
        glimpse: { type: 'http', url: `${origin}/api/mcp`, headers: { Authorization: 'Bearer glp_…' } },
      },
    },
    null,
    2,
  );
  const stdio = JSON.stringify(
    {
      mcpServers: {
        glimpse: {
          command: 'npm',
          args: ['--prefix', '/path/to/glimpse', 'run', '-s', 'glimpse', '--', 'mcp'],
          env: { GLIMPSE_URL: origin, GLIMPSE_TOKEN: 'glp_…' },
        },
      },
    },
    null,
    2,
  );
  return (
    <>
      <h1 tabIndex={-1}>Account</h1>
      <p>
        Signed in as <strong>{me.login}</strong>
        {me.isAdmin ? ', a Glimpse administrator (may do everything, in every team)' : ''}.
      </p>
      <section aria-labelledby="teams-heading">
        <h2 id="teams-heading">Teams</h2>
        {me.teams.length === 0 ? (
          <p className="empty">You belong to no team yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Team</th>
                <th scope="col">Role</th>
              </tr>
            </thead>
            <tbody>
              {me.teams.map((team) => (
                <tr key={team.slug}>
                  <td>
                    {team.name} <span className="muted mono">({team.slug})</span>
                  </td>
                  <td>{team.role}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <ApiTokens />
      <section aria-labelledby="mcp-heading">
        <h2 id="mcp-heading">MCP settings</h2>
        <p>Over Streamable HTTP (put one of your API tokens in place of glp_…):</p>
        <CopyBlock label="MCP settings for HTTP" text={http} />
        <p>
          Over stdio, with <code>glimpse mcp</code> talking to this server:
        </p>
        <CopyBlock label="MCP settings for glimpse mcp" text={stdio} />
      </section>
    </>
  );
}

function CopyBlock({ label, text }: { label: string; text: string }) {
  return (
    <figure className="copy-block">
      <figcaption className="visually-hidden">{label}</figcaption>
      <pre>{text}</pre>
      <button
        type="button"
        aria-label={`Copy ${label}`}
        onClick={() => void navigator.clipboard.writeText(text)}
      >
        Copy
      </button>
    </figure>
  );
}
