import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ once, so end-to-end tests run the built packctl binary.
    globalSetup: ['test/global-setup.ts'],
    // Real servers, real bcrypt and real archives: give slow shared machines room.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
