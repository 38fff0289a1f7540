// Shared set-up of the node --test suites: a temporary folder with an ax.yaml whose mounts
// cover the three tiers (hot, warm indexed, cold on file://) and, when the test S3 server of
// scripts/s3-server.sh is up (AX_TEST_S3_BUCKET), a cold mount on S3 too.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { randomBytes } from 'node:crypto'

export const S3_BUCKET = process.env.AX_TEST_S3_BUCKET
if (!S3_BUCKET && process.env.AX_REQUIRE_BACKENDS === '1') {
  throw new Error('AX_REQUIRE_BACKENDS=1 but AX_TEST_S3_BUCKET is unset: start scripts/s3-server.sh')
}

/** A fresh folder with ax.yaml and a read-only /docs holding guide.md. */
export function makeEnv({ s3 = Boolean(S3_BUCKET), extra = '' } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ax-node-'))
  let config = `mounts:
  - path: /scratch
    tier: hot
    root: ./data/scratch
  - path: /notes
    tier: warm
    root: ./data/notes
  - path: /docs
    tier: warm
    root: ./data/docs
    read_only: true
  - path: /archive
    tier: cold
    url: file://./data/archive
`
  if (s3) {
    const prefix = `node-${randomBytes(6).toString('hex')}`
    config += `  - path: /bucket
    tier: cold
    url: s3://${S3_BUCKET}/${prefix}/
`
  }
  config += extra || 'search:\n  embedder: none\n'
  fs.mkdirSync(path.join(root, 'data/docs'), { recursive: true })
  fs.writeFileSync(path.join(root, 'data/docs/guide.md'), '# Guide\nretry with backoff\n')
  fs.writeFileSync(path.join(root, 'ax.yaml'), config)
  return { root, config: path.join(root, 'ax.yaml') }
}

/** Calls `f` and returns what it threw (failing when it did not throw). */
export function thrown(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error('expected an error')
}
