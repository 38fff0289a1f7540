'use strict'
// Builds the native addon `ax_vfs.node` from source with cargo (no download from anywhere but
// crates.io). `npm install` runs it with --if-missing: a package that already carries the
// addon (a tarball from `npm pack`) is left as it is. Flags: --release (optimised; the default
// for installs), --debug, --if-missing.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const args = new Set(process.argv.slice(2))
const out = path.join(__dirname, 'ax_vfs.node')
if (args.has('--if-missing') && fs.existsSync(out)) process.exit(0)

const manifest = path.join(__dirname, 'Cargo.toml')
if (!fs.existsSync(manifest)) {
  console.error(`ax-vfs: ${out} is missing and there is no Rust source here to build it from`)
  process.exit(1)
}
const profile = args.has('--debug') ? 'debug' : 'release'
const cargoArgs = ['build', '--manifest-path', manifest, '-p', 'ax-vfs-node', '--message-format', 'json-render-diagnostics']
if (profile === 'release') cargoArgs.push('--release')
console.error(`ax-vfs: building the native addon (cargo, ${profile}); the first build takes minutes`)
const run = spawnSync(process.env.CARGO || 'cargo', cargoArgs, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 })
if (run.error) {
  console.error(`ax-vfs: could not run cargo (${run.error.message}); install Rust from https://rustup.rs or your package manager`)
  process.exit(1)
}
if (run.status !== 0) {
  console.error('ax-vfs: cargo build failed (see above)')
  process.exit(run.status || 1)
}
// The artifact's path comes from cargo's own report, so CARGO_TARGET_DIR and workspaces work.
let lib
for (const line of run.stdout.toString().split('\n')) {
  if (!line.startsWith('{')) continue
  const msg = JSON.parse(line)
  if (msg.reason === 'compiler-artifact' && msg.target && msg.target.name === 'ax_vfs_node') {
    lib = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f))
  }
}
if (!lib) {
  console.error('ax-vfs: cargo did not report the addon library')
  process.exit(1)
}
fs.copyFileSync(lib, out + '.tmp')
fs.renameSync(out + '.tmp', out)
console.error(`ax-vfs: built ${out}`)
