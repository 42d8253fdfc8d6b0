import type { z } from 'zod';
import { InvalidInput } from '../domain/errors.ts';

/** Parses input from outside with zod; problems become one InvalidInput naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new InvalidInput(`Invalid ${what}: ${describeIssues(parsed.error, what)}.`);
}

/** `field.path: message` for each problem zod found, joined; `what` names a problem of the whole value. */
export function describeIssues(error: z.ZodError, what: string): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : what;
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
