#!/usr/bin/env node
// Glimpse runs its TypeScript sources directly (Node >= 22.19 strips types); see docs/decisions.
import '../src/cli/main.ts';
