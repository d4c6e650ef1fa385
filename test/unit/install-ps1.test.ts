import { readFileSync } from 'node:fs';
import { Language, type Node, Parser } from 'web-tree-sitter';
import { installPs1 } from '../../lambda/http/install-ps1';

// There is no pwsh on the machines that run the tests (Debian has no package of it; npm's pwsh
// downloads it from GitHub, out of their reach), so the installer is checked with PowerShell's
// tree-sitter grammar: it must parse with no error.
let parser: Parser;
beforeAll(async () => {
  await Parser.init();
  parser = new Parser();
  parser.setLanguage(
    await Language.load(readFileSync(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'))),
  );
});

/** Each syntax error of `source`: its line and the text there. */
function syntaxErrors(source: string): string[] {
  const tree = parser.parse(source)!;
  const found: string[] = [];
  const visit = (node: Node) => {
    if (node.isError || node.isMissing) {
      found.push(
        `line ${node.startPosition.row + 1}: ${node.isMissing ? `missing ${node.type}` : node.text.slice(0, 60)}`,
      );
    }
    for (const child of node.children) if (child) visit(child);
  };
  visit(tree.rootNode);
  return found;
}

/** The agent script the installer writes: its single-quoted here-string, verbatim. */
function agentScript(installer: string): string {
  const m = /^\$agent = @'\n([\s\S]*?)\n'@$/m.exec(installer);
  if (!m) throw new Error('no agent here-string in the installer');
  return m[1]!;
}

describe('GET /v1/install.ps1: the PowerShell installer', () => {
  const script = installPs1('https://hbw.example.com');

  it('parses as PowerShell with no syntax error, and so does the agent it installs', () => {
    expect(syntaxErrors(script)).toEqual([]);
    expect(syntaxErrors(agentScript(script))).toEqual([]);
  });

  it('finds a syntax error (the check can fail)', () => {
    expect(syntaxErrors(script.replace('if ($Uninstall) {', 'if ($Uninstall {'))).not.toEqual([]);
  });

  it('defaults -Endpoint to the serving watcher, quoted so that no URL ends the string', () => {
    expect(script).toContain("[string]$Endpoint = 'https://hbw.example.com',");
    expect(installPs1("https://x.example.com/a'b")).toContain(
      "[string]$Endpoint = 'https://x.example.com/a''b',",
    );
  });

  it('keeps the token readable by SYSTEM and Administrators only, inheritance removed', () => {
    expect(script).toContain("icacls.exe $TokenFile /inheritance:r /grant:r '*S-1-5-18:F' '*S-1-5-32-544:F'");
  });
});
