import { createRedactor } from '../domain/redactor.ts';
import type { Principal } from '../services/auth/principal.ts';
import { createServiceOperations, type PreviewOperations } from '../services/preview-operations.ts';
import type { CliIo } from './cli-io.ts';
import { withClientDatabase } from './with-client-database.ts';

/** The operator at the machine: sees every environment, read-only (no actor to audit changes by). */
const OPERATOR: Principal = {
  userId: '00000000-0000-0000-0000-000000000000',
  login: 'operator',
  isAdmin: true,
  tokenId: undefined,
};

/** Runs `work` straight on the configured database, as the operator: for commands not given a server. */
export function withOperatorOperations<T>(
  io: CliIo,
  work: (ops: PreviewOperations) => Promise<T>,
): Promise<T> {
  return withClientDatabase(io, (db, config) =>
    work(
      createServiceOperations(
        {
          db,
          runtime: undefined,
          github: undefined,
          redactor: createRedactor(config.secrets),
          now: () => new Date(),
        },
        OPERATOR,
      ),
    ),
  );
}
