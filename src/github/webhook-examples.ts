import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Real webhook payloads from `@octokit/webhooks-examples`: the tests' sender and `glimpse simulate` start
 * from them, so what Glimpse handles has the exact shape GitHub sends.
 */
interface WebhookDefinition {
  name: string;
  examples: Array<Record<string, unknown>>;
}

let definitions: WebhookDefinition[] | undefined;

function loadDefinitions(): WebhookDefinition[] {
  if (!definitions) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('@octokit/webhooks-examples/api.github.com/index.json');
    definitions = JSON.parse(readFileSync(file, 'utf8')) as WebhookDefinition[];
  }
  return definitions;
}

/** A deep copy of a real example payload for `event` (and `action`, when the event has actions). */
export function loadWebhookExample(event: string, action?: string, index = 0): Record<string, unknown> {
  const definition = loadDefinitions().find((candidate) => candidate.name === event);
  if (!definition) throw new Error(`@octokit/webhooks-examples has no "${event}" event`);
  const examples = definition.examples.filter((example) => action === undefined || example.action === action);
  const example = examples[index];
  if (!example)
    throw new Error(`@octokit/webhooks-examples has no example ${index} of ${event}.${action ?? ''}`);
  return structuredClone(example);
}

export type Overrides = { [key: string]: unknown };

/** Objects merge key by key; arrays, primitives and null replace; undefined leaves the value alone. */
export function deepMerge<T extends Record<string, unknown>>(base: T, overrides: Overrides): T {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = result[key];
    result[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return result as T;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
