import { useId, useState } from 'react';

/**
 * The "Connect GitHub" action: a plain form that opens the server's manifest flow page (`connectPath`), for the
 * administrator's own GitHub account or for an organisation, whose owner they must be on GitHub.
 */
export function ConnectGithub({ connectPath }: { connectPath: string }) {
  const [forOrganization, setForOrganization] = useState(false);
  const hint = useId();
  return (
    <form method="get" action={connectPath} className="connect-github" aria-describedby={hint}>
      <p id={hint}>
        GitHub creates Glimpse's GitHub App for you (private, with the permissions and webhooks Glimpse needs)
        and sends you back here.
      </p>
      <fieldset>
        <legend>Create the App for</legend>
        <label className="check">
          <input
            type="radio"
            name="owner"
            value="user"
            checked={!forOrganization}
            onChange={() => setForOrganization(false)}
          />
          your GitHub account
        </label>
        <label className="check">
          <input
            type="radio"
            name="owner"
            value="organization"
            checked={forOrganization}
            onChange={() => setForOrganization(true)}
          />
          an organisation you own
        </label>
        {forOrganization ? (
          <label>
            Organisation
            <input name="organization" required maxLength={100} pattern="[A-Za-z0-9][A-Za-z0-9\-]*" />
          </label>
        ) : null}
      </fieldset>
      <button type="submit" className="button primary">
        Connect GitHub
      </button>
    </form>
  );
}
