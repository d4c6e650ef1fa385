/** Shell scripts imported as their text: esbuild's `text` loader, and the tests' transform of the same. */
declare module '*.sh' {
  const text: string;
  export default text;
}
