#!/usr/bin/env node
// The `casb` executable. The project runs from its TypeScript sources through tsx's loader,
// so there is no build step between a checkout and a working CLI.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
