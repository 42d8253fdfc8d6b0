/** The few lines `glimpse serve` prints once it listens. */
export interface BannerFacts {
  version: string;
  listenUrl: string;
  publicUrl: string;
  database: string;
  cliSocket: string | undefined;
  runtime: string;
  dataDir: string;
  bootstrapToken: string | undefined;
  notes: string[];
  /** Risks the operator should know about (previews without a sandbox). */
  warnings: string[];
}

export function renderBanner(facts: BannerFacts): string {
  const lines = [
    `Glimpse ${facts.version}`,
    `  listening  ${facts.listenUrl}${facts.publicUrl === facts.listenUrl ? '' : `  (public URL ${facts.publicUrl})`}`,
    `  database   ${facts.database}`,
    `  runtime    ${facts.runtime}`,
    `  data       ${facts.dataDir}`,
    ...facts.notes.map((note) => `  note       ${note}`),
    ...facts.warnings.map((warning) => `  WARNING    ${warning}`),
  ];
  if (facts.bootstrapToken !== undefined) {
    lines.push(
      '',
      '  First start: an "admin" user was created. Its one-time login token (shown only now):',
      `    ${facts.bootstrapToken}`,
      '  Open the dashboard signed in as admin (the token is in the fragment, never sent in a URL to the server):',
      `    ${dashboardSignInLink(facts.publicUrl, facts.bootstrapToken)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The dashboard's sign-in page with a token in the URL fragment, which browsers never send to the server. */
export function dashboardSignInLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/sign-in#token=${encodeURIComponent(token)}`;
}
