#!/usr/bin/env -S node --max-semi-space-size=16 --liftoff-only
// Glimpse runs its TypeScript sources directly (Node >= 22.19 strips types); see docs/decisions.
import '../src/cli/main.ts';
