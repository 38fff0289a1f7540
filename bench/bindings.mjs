// bench/bindings.mjs — one readText of a 4 KiB hot file in-process (ax-vfs for Node) beside
// spawning `ax cat` for the same file, in one run. bench/bindings.sh builds the release addon
// and runs this with the Python twin (bench/bindings.py).
//   node bench/bindings.mjs [path/to/release/ax]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { loadConfigFile } = require(process.env.AX_VFS_NODE || '../bindings/node')
const AX = path.resolve(process.argv[2] || 'target/release/ax')

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ax-bench-'))
try {
  fs.mkdirSync(path.join(d, 'scratch'))
  fs.writeFileSync(path.join(d, 'scratch/f4k.txt'), ('0123456789abcdef'.repeat(4) + '\n').repeat(63) + 'x')
  const config = path.join(d, 'ax.yaml')
  fs.writeFileSync(config, `mounts:\n  - path: /scratch\n    tier: hot\n    root: ${d}/scratch\n`)
  const vfs = loadConfigFile(config)
  const text = vfs.readText('/scratch/f4k.txt')
  const n = 20000
  const runs = []
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n; i++) vfs.readText('/scratch/f4k.txt')
    runs.push(Number(process.hrtime.bigint() - t) / n / 1000)
  }
  const asyncRuns = []
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint()
    for (let i = 0; i < n / 10; i++) await vfs.readTextAsync('/scratch/f4k.txt')
    asyncRuns.push(Number(process.hrtime.bigint() - t) / (n / 10) / 1000)
  }
  const spawned = []
  for (let i = 0; i < 50; i++) {
    const t = process.hrtime.bigint()
    const out = execFileSync(AX, ['--config', config, 'cat', '/scratch/f4k.txt']).toString()
    spawned.push(Number(process.hrtime.bigint() - t) / 1000)
    if (out !== text) throw new Error('ax cat gave other bytes')
  }
  console.log(
    `read ${text.length} bytes: ax-vfs readText median ${median(runs).toFixed(1)} µs (5 × ${n} calls); ` +
      `readTextAsync (awaited one by one) median ${median(asyncRuns).toFixed(1)} µs; ` +
      `spawned \`ax cat\` median ${median(spawned).toFixed(0)} µs (50 runs)`
  )
} finally {
  fs.rmSync(d, { recursive: true, force: true })
}
