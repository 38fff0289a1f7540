// ax-vfs (ES module entry): the same addon as the CommonJS entry, with named exports.
import { createRequire } from 'node:module'

const native = createRequire(import.meta.url)('./index.js')

export const { Vfs, loadConfigFile, loadDefault } = native
export default native
