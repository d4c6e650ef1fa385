// No long function without a reason: every function, method and arrow in lambda/, cli/ and lib/ is at
// most MAX_LINES lines, or says why it is longer in a `// long: <reason>` comment just before it (on the
// declaration, the variable or property it is assigned to, or the method). `node
// scripts/check-function-length.cjs` checks the committed files and exits 1 with a line per function;
// test/unit/function-length.test.ts runs the same check in CI.
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const ts = require('typescript');

const MAX_LINES = 80;
/** The folders held to it: the watcher, its CLI and console, its infrastructure. */
const FOLDERS = ['lambda', 'cli', 'lib'];
const SOURCE = /\.(?:ts|js|cjs|mjs)$/;
/** A line comment that gives a reason: `// long: ` and at least a word after it. */
const REASON = /^\/\/\s*long:\s*\S/;

/** The nodes whose leading comments may hold a function's reason: itself and what it is assigned to. */
function declarationOf(node) {
  const holders = [node];
  let at = node.parent;
  while (
    at &&
    (ts.isVariableDeclaration(at) ||
      ts.isVariableDeclarationList(at) ||
      ts.isVariableStatement(at) ||
      ts.isPropertyAssignment(at) ||
      ts.isPropertyDeclaration(at) ||
      ts.isExportAssignment(at) ||
      ts.isParenthesizedExpression(at))
  ) {
    holders.push(at);
    at = at.parent;
  }
  return holders;
}

function hasReason(node, text) {
  return declarationOf(node).some((holder) =>
    (ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? []).some((range) =>
      REASON.test(text.slice(range.pos, range.end)),
    ),
  );
}

/** The function's name as a reader finds it: `Class.method`, the variable or property, or `(anonymous)`. */
function nameOf(node) {
  const named = declarationOf(node).find((holder) => holder.name !== undefined);
  const own = named ? named.name.getText() : '(anonymous)';
  const owner = node.parent && ts.isClassLike(node.parent) && node.parent.name;
  return owner ? `${owner.getText()}.${own}` : own;
}

/**
 * The functions of one file's text longer than MAX_LINES lines with no reason beside them, each as
 * `path:name:first-last (N lines)`.
 */
function longFunctions(path, text) {
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const lineOf = (position) => source.getLineAndCharacterOfPosition(position).line + 1;
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body !== undefined) {
      const first = lineOf(node.getStart(source));
      const last = lineOf(node.end);
      const lines = last - first + 1;
      if (lines > MAX_LINES && !hasReason(node, text)) {
        found.push(`${path}:${nameOf(node)}:${first}-${last} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function repositoryLongFunctions(root) {
  const files = execFileSync('git', ['ls-files', '-z', ...FOLDERS], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((file) => SOURCE.test(file) && !file.endsWith('.d.ts') && existsSync(join(root, file)));
  return files.flatMap((file) => longFunctions(file, readFileSync(join(root, file), 'utf8')));
}

module.exports = { MAX_LINES, longFunctions, repositoryLongFunctions };

if (require.main === module) {
  const found = repositoryLongFunctions(join(__dirname, '..'));
  for (const line of found) console.error(`${line}: over ${MAX_LINES} lines with no "// long: <reason>"`);
  process.exitCode = found.length === 0 ? 0 : 1;
}
