/** The console's browser script and the files it was bundled from (scripts/console-bundle.cjs). */
export function bundleConsole(): { script: string; inputs: string[] };
export function buildConsoleScript(): string;
