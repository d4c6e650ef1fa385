// Jest's side of esbuild's `text` loader: a file imported as its text (the sh scripts under agent/).
// Read from the file itself, since jest hands a transform its source with the #! line blanked.
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');

module.exports = {
  getCacheKey(_source, filename) {
    return createHash('sha256').update(__filename).update(readFileSync(filename)).digest('hex');
  },
  process(_source, filename) {
    const text = readFileSync(filename, 'utf8');
    return { code: `module.exports = { __esModule: true, default: ${JSON.stringify(text)} };` };
  },
};
