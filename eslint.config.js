import tseslint from 'typescript-eslint';

// The layers of DESIGN.md, checked by a tool rather than by memory: each entry names
// the folders a layer must never import from.
const layerRules = [
  { layer: 'src/planner', banned: ['engine', 'stack', 'tui', 'watch', 'cli'] },
  { layer: 'src/engine', banned: ['planner', 'stack', 'tui', 'watch', 'cli'] },
  { layer: 'src/stack', banned: ['tui', 'watch', 'cli'] },
  { layer: 'src/tui', banned: ['engine', 'cli'] },
  { layer: 'src/watch', banned: ['engine', 'tui', 'cli'] },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'src/planner/generated/', 'coverage/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...layerRules.map(({ layer, banned }) => ({
    files: [`${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: banned.map((folder) => ({
            group: [`**/${folder}/*`, `**/${folder}`, `../${folder}/*`],
            message: `${layer} must not import from src/${folder} (see DESIGN.md, "The layers").`,
          })),
        },
      ],
    },
  })),
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Only src/cli exits.' },
      ],
      'no-console': 'error',
    },
  },
);
