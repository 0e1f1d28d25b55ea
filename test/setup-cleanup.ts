// Runs before every test file (vitest setupFiles): what helpers made outside a test is undone when the file ends.
import { afterAll } from 'vitest';
import { runFileCleanups } from './helpers/cleanup.js';

afterAll(runFileCleanups);
