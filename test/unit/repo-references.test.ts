import { join } from 'node:path';

const { referenceProblems, repositoryProblems } = require('../../scripts/check-references.cjs') as {
  referenceProblems(path: string, text: string, exists: (path: string) => boolean): string[];
  repositoryProblems(root: string): string[];
};

const ROOT = join(__dirname, '..', '..');
/** A repository with these files and no other. */
const holding =
  (...files: string[]) =>
  (path: string) =>
    files.includes(path);
// Built from pieces, so that this file does not hold the references it feeds the check.
const OUTSIDE_DOC = ['DESIGN', 'md'].join('.');

describe('the references of comments and docs', () => {
  it('hold for every committed file: none outside the repository, every repository path there', () => {
    expect(repositoryProblems(ROOT)).toEqual([]);
  });

  it('fail on a document outside the repository, a section of it, the seeds and a shared folder', () => {
    const text = [
      `// as ${OUTSIDE_DOC} says`,
      `// see ${['STYLE', 'md'].join('.')} item 14`,
      `// ${'DESIGN'} section 10`,
      `// taken from ${'the'} seeds`,
      `// read ${'..'}/shared/notes.txt`,
    ].join('\n');

    const problems = referenceProblems('lambda/x.ts', text, holding());

    expect(problems).toHaveLength(5);
    expect(problems[0]).toBe(`lambda/x.ts:1: "${OUTSIDE_DOC}" refers to a document outside the repository`);
    expect(problems.map((p) => p.split(':')[1])).toEqual(['1', '2', '3', '4', '5']);
  });

  it('fail on a repository path that does not exist, and pass the ones that do', () => {
    const text = [
      '// writes docs/SOAK.md and reads lambda/domain/scan.ts',
      '/** See README.md and the bundle of lambda/handlers/ingest.ts. */',
    ].join('\n');

    const problems = referenceProblems(
      'bench/x.ts',
      text,
      holding('lambda/domain/scan.ts', 'README.md', 'lambda/handlers/ingest.ts'),
    );

    expect(problems).toEqual(['bench/x.ts:1: docs/SOAK.md does not exist in the repository']);
  });

  it('leave alone paths outside the repository tree, placeholders, globs and a full stop after a path', () => {
    const text = [
      '// node_modules/croner/dist/croner.js, /tmp/hbw/lambda/a.ts and dist/hbw.js are not ours',
      `// \`lambda/handlers/${'$'}{handler}.ts\` and \`test/adapters/**/*.test.ts\``,
      '// the rule is in lambda/domain/scan.ts.',
    ].join('\n');

    expect(referenceProblems('cli/x.ts', text, holding('lambda/domain/scan.ts'))).toEqual([]);
  });
});
