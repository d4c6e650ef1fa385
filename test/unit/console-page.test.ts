import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { CONSOLE_ASSETS } from '../../cli/console/routes';
import { CONSOLE_CSP, CONSOLE_PAGE, CONSOLE_SCRIPT, CONSOLE_STYLE } from '../../cli/console-page';
import { bundleConsole } from '../../scripts/console-bundle.cjs';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('the console page', () => {
  it('loads nothing from elsewhere: no remote script, style, font or image', () => {
    expect(CONSOLE_PAGE).not.toMatch(/(?:src|href|action)\s*=\s*["']?(?:[a-z]+:)?\/\//i);
    expect(CONSOLE_PAGE).not.toMatch(/@import|@font-face|url\(/i);
    expect(CONSOLE_PAGE.match(/<link\b[^>]*>/g)).toEqual([
      '<link rel="icon" href="/favicon.svg" type="image/svg+xml">',
    ]);
    expect(CONSOLE_PAGE.match(/<script\b[^>]*>/g)).toEqual(['<script>']);
  });

  it('weighs under 150 KB with every asset gzip-compressed', () => {
    const gzipped = CONSOLE_ASSETS.reduce((n, a) => n + gzipSync(a.body, { level: 9 }).length, 0);
    expect(gzipped).toBeLessThan(150 * 1024);
  });

  it('inlines exactly the script and style its Content-Security-Policy admits', () => {
    const script = /<script>([\s\S]*)<\/script>/.exec(CONSOLE_PAGE)?.[1];
    const style = /<style>([\s\S]*)<\/style>/.exec(CONSOLE_PAGE)?.[1];
    expect(script).toBe(CONSOLE_SCRIPT);
    expect(style).toBe(CONSOLE_STYLE);
    expect(CONSOLE_CSP).toContain(`script-src ${hash(CONSOLE_SCRIPT)};`);
    expect(CONSOLE_CSP).toContain(`style-src ${hash(CONSOLE_STYLE)};`);
    expect(CONSOLE_CSP).toContain("connect-src 'self'");
    // No inline style attribute, which the policy would block.
    expect(CONSOLE_PAGE).not.toMatch(/\sstyle=/);
  });

  it('carries a script that parses on its own and cannot end its script element early', () => {
    expect(() => new Function(CONSOLE_SCRIPT)).not.toThrow();
    expect(CONSOLE_SCRIPT).not.toMatch(/<\/script/i);
  });

  it("is bundled from the console's own modules, lambda/domain's pure ones and Preact, nothing of the watcher's Node code", () => {
    const { inputs } = bundleConsole();
    expect(inputs).toContain('cli/console/main.ts');
    expect(inputs).toContain('lambda/domain/agent-states.ts');
    expect(inputs).toContain('node_modules/preact/dist/preact.mjs');
    const others = inputs.filter(
      (f) => !/^(cli\/console\/|cli\/pages\.ts$|lambda\/domain\/|node_modules\/(preact|htm)\/)/.test(f),
    );
    expect(others).toEqual([]);
  });
});
