'use strict'
// ax-vfs (CommonJS entry): loads the native addon built from bindings/node/src/lib.rs.
// Everything is implemented in Rust, in the same library as the `ax` command line.
const path = require('node:path')

let native
try {
  native = require(path.join(__dirname, 'ax_vfs.node'))
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND') {
    throw new Error(
      `ax-vfs: the native addon ${path.join(__dirname, 'ax_vfs.node')} is missing; ` +
        'build it with `node build.js` in the package folder (needs cargo)'
    )
  }
  throw e
}

module.exports = native
