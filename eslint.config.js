// Lint rules: typescript-eslint's strict type-checked set on every TypeScript file (type
// information from the tsconfig that includes the file); plain .js files get no type-aware rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import boundaries between the layers of src/, as regexes over the import's specifier. They are
// written for files directly in their folder (src/<layer>/x.ts), as all are today; in a deeper
// folder the domain rule refuses more than it should, never less.
const NO_TEST = {
  regex: String.raw`^(\.\./)+test/`,
  message: 'src/ must not import test/: fixtures that both use belong in src/testing/.',
};
const NO_TESTING = {
  regex: String.raw`^(\./|(\.\./)+)testing/`,
  message: 'Only tests (*.test.ts, test/, bench/) may import src/testing/.',
};
const STORE = {
  regex: String.raw`^(\.\./)+((sms|cli|seeding)/|app\.js$)`,
  message: 'src/store/ must not import the SMS layer, the app, the tools or seeding.',
};
/** The domain (src/citizens/, src/audit/) imports packages, itself, data/, and, in its tests, src/testing/. */
const domain = (...allowed) => ({
  regex: String.raw`^\.\./(?!(${['citizens', 'audit', String.raw`\.\./data`, ...allowed].join('|')})/)`,
  message: 'src/citizens/ and src/audit/ are the domain: they import only each other, data/ and packages.',
});
/** One no-restricted-imports setting per group of files: a later setting replaces an earlier one, it does not add to it. */
const boundaries = (files, ...patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Numbers in template strings are plain decimal text: `line ${n}` is what we mean.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // The Store interface is asynchronous so that another database can implement it; the SQLite
    // implementation is synchronous underneath. Its methods stay `async` so that what they throw
    // reaches callers as a rejected promise, as it would from an asynchronous driver.
    files: ['src/store/sqlite.ts', 'src/store/sqliteCitizens.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  boundaries(['src/**/*.ts'], NO_TEST, NO_TESTING),
  boundaries(['src/**/*.test.ts', 'src/testing/**'], NO_TEST),
  boundaries(['src/store/**'], STORE, NO_TEST, NO_TESTING),
  boundaries(['src/store/**/*.test.ts'], STORE, NO_TEST),
  boundaries(['src/citizens/**', 'src/audit/**'], domain()),
  boundaries(['src/citizens/**/*.test.ts', 'src/audit/**/*.test.ts'], domain('testing')),
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  // The demo simulator's page script runs in the browser.
  { files: ['public/**/*.js'], languageOptions: { sourceType: 'script', globals: { document: 'readonly', fetch: 'readonly' } } },
  // The build and launch scripts run on Node before anything is compiled: plain JavaScript.
  { files: ['scripts/**/*.js'], languageOptions: { globals: { process: 'readonly', console: 'readonly' } } },
);
