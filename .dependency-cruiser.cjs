/**
 * The layers of docs/architecture.md, checked by `npm run lint` (dependency-cruiser). A layer imports only
 * layers below it: edges (cli, http, mcp, client) -> services -> controller -> runtimes, github, db -> domain.
 * `config` parses the environment and imports nothing but domain; `app.ts` and `main/` compose everything.
 * Type-only imports count: the swc parser reads every import as written, `import type` too (TypeScript 7's
 * compiler API is not one dependency-cruiser can use).
 */
const outsideWorld = '^src/(db|github|runtimes)/';
const above = (...layers) => `^src/(${layers.join('|')})(/|\\.ts$)`;

module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ is pure logic and the vocabulary: it imports nothing of the project outside domain/.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/', pathNot: '^src/domain/' },
    },
    {
      name: 'config-imports-nothing-below',
      comment: 'config/ parses and validates the environment; it imports only domain/.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/', pathNot: '^src/(config|domain)/' },
    },
    {
      name: 'metrics-imports-nothing',
      comment:
        'metrics/ is the registry every layer reports to; it imports nothing of the project but domain/.',
      severity: 'error',
      from: { path: '^src/metrics/' },
      to: { path: '^src/', pathNot: '^src/(metrics|domain)/' },
    },
    {
      name: 'outside-world-below-the-core',
      comment:
        'db/, github/ and runtimes/ are called by the core; they import no layer above them, nor config.',
      severity: 'error',
      from: { path: outsideWorld },
      to: { path: above('controller', 'services', 'http', 'mcp', 'cli', 'client', 'config', 'main', 'app') },
    },
    {
      name: 'outside-world-apart',
      comment: 'db/, github/ and runtimes/ do not know each other: the controller and services join them.',
      severity: 'error',
      from: { path: '^src/(db|github|runtimes)/' },
      to: { path: outsideWorld, pathNot: '^src/$1/' },
    },
    {
      name: 'controller-below-services',
      comment:
        'The controller is called by services and the composition root; it imports neither, nor config.',
      severity: 'error',
      from: { path: '^src/controller/' },
      to: { path: above('services', 'http', 'mcp', 'cli', 'client', 'config', 'main', 'app') },
    },
    {
      name: 'services-below-edges',
      comment: 'Services are the one API the edges call; they import no edge and not the composition root.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: above('http', 'mcp', 'cli', 'client', 'main', 'app') },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    includeOnly: '^src/',
    parser: 'swc',
    doNotFollow: { path: 'node_modules' },
  },
};
