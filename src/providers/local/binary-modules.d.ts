// SPDX-License-Identifier: Apache-2.0
// Wrangler's default module rules (and the vitest workers plugin, which reads them) load `*.bin`
// files as Data modules: the import is the file's bytes as an ArrayBuffer.
declare module "*.bin" {
  const data: ArrayBuffer;
  export default data;
}
