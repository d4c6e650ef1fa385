// Jest's side of esbuild's `text` loader: a file imported as its text (the sh scripts under agent/).
module.exports = {
  process(source) {
    return { code: `module.exports = { __esModule: true, default: ${JSON.stringify(source)} };` };
  },
};
