// The repository explains itself: no comment or doc points at a file kept outside it, and every
// repository path it names exists. `node scripts/check-references.cjs` checks the committed files and
// exits 1 with a line per problem; test/unit/repo-references.test.ts runs the same check in CI.
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/** Documents that were never part of the repository, and the folders they were kept in. */
const OUTSIDE = [
  { pattern: /\b(?:DESIGN|STYLE)\.md\b/, what: 'a document outside the repository' },
  { pattern: /\bDESIGN\b,? (?:section|§) ?\d/i, what: 'a section of a document outside the repository' },
  { pattern: /\bthe seeds\b/i, what: 'the seeds, which are outside the repository' },
  { pattern: /(?:\.\.\/)+shared\//, what: 'a folder outside the repository' },
  { pattern: /(?<![\w.-])\/work\//, what: 'a path on the machine the repository was written on' },
];

/** The top-level folders whose paths a comment or doc may name (built or installed ones left out). */
const FOLDERS = ['.ci', 'agent', 'bench', 'bin', 'cli', 'docs', 'lambda', 'lib', 'scripts', 'test', 'types'];
const EXTENSIONS = 'ts|js|cjs|mjs|md|json|sh|ps1|yml|yaml|png|d\\.ts';
/**
 * A repository path: one of FOLDERS, then segments, ending in a file name with an extension; not the
 * tail of a longer path (node_modules/x/lib/y.js, /tmp/cli/z.ts). Paths with a placeholder or a glob
 * (`lambda/handlers/${name}.ts`, `test/**\/*.ts`) stop at it and so never end in a file name.
 */
const REPO_PATH = new RegExp(
  `(?<![\\w./@-])((?:${FOLDERS.map((f) => f.replace('.', '\\.')).join('|')})/[\\w.-]+(?:/[\\w.-]+)*\\.(?:${EXTENSIONS}))(?![\\w/-])`,
  'g',
);
/** Top-level files named by their bare name. */
const TOP_LEVEL = /(?<![\w./-])((?:README|CHANGELOG|CONTRIBUTING|LICENSE)\.md)(?![\w/-])/g;

/**
 * The problems of one file's text: each reference to a file outside the repository, and each
 * repository path that `exists` says is not there. One problem a line and reference.
 */
function referenceProblems(path, text, exists) {
  const problems = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const at = `${path}:${index + 1}`;
    for (const { pattern, what } of OUTSIDE) {
      const found = pattern.exec(line);
      if (found) problems.push(`${at}: "${found[0]}" refers to ${what}`);
    }
    for (const regex of [REPO_PATH, TOP_LEVEL]) {
      for (const found of line.matchAll(regex)) {
        const named = found[1].replace(/\.$/, '');
        if (!exists(named)) problems.push(`${at}: ${named} does not exist in the repository`);
      }
    }
  });
  return problems;
}

/** The committed text files the check reads: sources, docs, scripts and CI. */
const CHECKED = /\.(?:ts|js|cjs|mjs|md|sh|ps1|yml|yaml)$|^\.ci\//;
/** The check itself and its test, which hold its patterns and the bad references it is fed. */
const OWN = ['scripts/check-references.cjs', 'test/unit/repo-references.test.ts'];

function repositoryProblems(root) {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter(
      (file) => file !== '' && CHECKED.test(file) && !OWN.includes(file) && existsSync(join(root, file)),
    );
  const exists = (path) => existsSync(join(root, path));
  return files.flatMap((file) => referenceProblems(file, readFileSync(join(root, file), 'utf8'), exists));
}

module.exports = { referenceProblems, repositoryProblems };

if (require.main === module) {
  const problems = repositoryProblems(join(__dirname, '..'));
  for (const problem of problems) console.error(problem);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
