// ax-vfs from Node.js: every method, sync and Promise forms, against a real config with hot,
// warm and cold (file://, and S3 when the test server is up) mounts. Run by scripts/test.sh
// as `node --test bindings/node/tests/`.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'

import ax, { loadConfigFile, loadDefault, Vfs } from 'ax-vfs'
import { makeEnv, thrown, S3_BUCKET } from './helpers.mjs'

const AX = process.env.AX_BIN || path.resolve('target/debug/ax')

test('ESM and CommonJS load the same addon', () => {
  const cjs = createRequire(import.meta.url)('ax-vfs')
  assert.equal(cjs.loadConfigFile, loadConfigFile)
  assert.equal(ax.Vfs, Vfs)
  assert.ok(loadConfigFile(makeEnv({ s3: false }).config) instanceof Vfs)
})

test('files: text and bytes, line windows, ETags, appends, on every tier', async () => {
  const { root, config } = makeEnv()
  const vfs = loadConfigFile(config)
  const mounts = ['/scratch', '/notes', '/archive', ...(S3_BUCKET ? ['/bucket'] : [])]
  for (const m of mounts) {
    const out = vfs.writeText(`${m}/plan.md`, 'one\ntwo\nthree\n')
    assert.deepEqual([out.path, out.bytes, out.created], [`${m}/plan.md`, 14, true])
    assert.equal(vfs.readText(`${m}/plan.md`), 'one\ntwo\nthree\n')
    assert.equal(vfs.readText(`${m}/plan.md`, { offset: 2, limit: 1 }), 'two\n')
    assert.equal(await vfs.readTextAsync(`${m}/plan.md`, { offset: 3 }), 'three\n')
    const st = vfs.stat(`${m}/plan.md`)
    assert.equal(st.etag, out.etag)
    assert.deepEqual([st.kind, st.isDir, st.size, st.mount], ['file', false, 14, m])
    assert.equal((await vfs.statAsync(`${m}/plan.md`)).etag, out.etag)
    const app = vfs.appendText(`${m}/plan.md`, 'four\n')
    assert.equal(app.bytes, 5)
    await vfs.appendTextAsync(`${m}/plan.md`, 'five\n', { ifMatch: app.etag })
    assert.equal(vfs.readText(`${m}/plan.md`), 'one\ntwo\nthree\nfour\nfive\n')

    const blob = Buffer.alloc(2560)
    for (let i = 0; i < blob.length; i++) blob[i] = i % 256
    vfs.writeBytes(`${m}/blob.bin`, blob)
    assert.ok(vfs.readBytes(`${m}/blob.bin`).equals(blob))
    vfs.appendBytes(`${m}/blob.bin`, new Uint8Array([0, 255]))
    await vfs.appendBytesAsync(`${m}/blob.bin`, Buffer.from([7]))
    const back = await vfs.readBytesAsync(`${m}/blob.bin`)
    assert.ok(back.equals(Buffer.concat([blob, Buffer.from([0, 255, 7])])))
    await vfs.writeBytesAsync(`${m}/blob.bin`, Buffer.from('tiny'))
    assert.equal(vfs.readText(`${m}/blob.bin`), 'tiny')
    assert.equal(thrown(() => vfs.readText(`${m}/plan.md`, { offset: -1 })).code, 'EINVAL')
    vfs.writeBytes(`${m}/bad.bin`, Buffer.from([0xff, 0xfe]))
    assert.equal(thrown(() => vfs.readText(`${m}/bad.bin`)).code, 'ENOTSUP')
    assert.ok(vfs.exists(`${m}/plan.md`))
    assert.equal(await vfs.existsAsync(`${m}/nope.md`), false)
  }
  assert.equal(fs.readFileSync(path.join(root, 'data/scratch/plan.md'), 'utf8'), 'one\ntwo\nthree\nfour\nfive\n')
  assert.equal(fs.readFileSync(path.join(root, 'data/archive/blob.bin'), 'utf8'), 'tiny')
})

test('list, delete, copy, move and edit, sync and async', async () => {
  const { root, config } = makeEnv({ s3: false })
  const vfs = loadConfigFile(config)
  vfs.writeText('/scratch/a/x.md', 'x\n')
  vfs.writeText('/scratch/b.md', 'b\n')
  assert.deepEqual(vfs.list('/scratch').map((e) => [e.name, e.isDir]), [['a', true], ['b.md', false]])
  assert.deepEqual(vfs.list('/').map((e) => e.path), ['/archive', '/docs', '/notes', '/scratch'])
  const [entry] = (await vfs.listAsync('/scratch/a'))
  assert.deepEqual([entry.path, entry.size], ['/scratch/a/x.md', 2])
  assert.ok(Math.abs(entry.modified - Date.now()) < 60_000, 'modified is milliseconds since the epoch')

  const cp = vfs.copy('/scratch/b.md', '/archive/b.md')
  assert.deepEqual([cp.from, cp.to, cp.files, cp.bytes], ['/scratch/b.md', '/archive/b.md', 1, 2])
  await vfs.copyAsync('/scratch/b.md', '/notes/b.md')
  const mv = vfs.move('/scratch/b.md', '/scratch/c.md')
  assert.equal(mv.renamed, true)
  await vfs.moveAsync('/notes/b.md', '/archive/moved.md')
  assert.equal(vfs.readText('/archive/moved.md'), 'b\n')
  assert.equal(vfs.exists('/notes/b.md'), false)

  const ed = vfs.edit('/scratch/c.md', 'b', 'B')
  assert.equal(ed.replacements, 1)
  assert.equal((await vfs.editAsync('/scratch/c.md', 'B', 'bb', { ifMatch: ed.etag })).replacements, 1)
  vfs.writeText('/scratch/many.md', 'a a a')
  assert.equal(thrown(() => vfs.edit('/scratch/many.md', 'a', 'b')).code, 'ENOMATCH')
  assert.equal(vfs.edit('/scratch/many.md', 'a', 'b', { all: true }).replacements, 3)

  assert.equal(thrown(() => vfs.delete('/scratch/a')).code, 'EISDIR')
  vfs.delete('/scratch/a', { recursive: true })
  assert.equal(fs.existsSync(path.join(root, 'data/scratch/a')), false)
  await vfs.deleteAsync('/scratch/c.md')
  assert.equal(vfs.exists('/scratch/c.md'), false)
  // A mount root is never deleted, not even recursively.
  assert.equal(thrown(() => vfs.delete('/scratch', { recursive: true })).code, 'EPERM')
  assert.ok(fs.existsSync(path.join(root, 'data/scratch/many.md')))
})

test('errors carry codes and change nothing on disk', async () => {
  const { root, config } = makeEnv({ s3: false })
  const vfs = loadConfigFile(config)
  for (const p of ['/scratch/../../etc/passwd', '/scratch/%2e%2e/x', '/etc/passwd']) {
    const e = thrown(() => vfs.readText(p))
    assert.ok(e instanceof Error)
    assert.ok(['EACCES', 'ENOENT'].includes(e.code), `${p}: ${e.code}`)
  }
  const jail = thrown(() => vfs.writeText('/scratch/../../escape.md', 'x'))
  assert.deepEqual([jail.code, jail.kind], ['EACCES', 'outside_mount'])
  assert.equal(fs.existsSync(path.join(root, 'escape.md')), false)
  const ro = thrown(() => vfs.writeText('/docs/new.md', 'x'))
  assert.deepEqual([ro.code, ro.kind], ['EROFS', 'read_only'])
  await assert.rejects(vfs.appendTextAsync('/docs/guide.md', 'x'), { code: 'EROFS' })
  assert.equal(fs.existsSync(path.join(root, 'data/docs/new.md')), false)
  assert.equal(fs.readFileSync(path.join(root, 'data/docs/guide.md'), 'utf8'), '# Guide\nretry with backoff\n')
  const nf = thrown(() => vfs.readText('/scratch/missing.md'))
  assert.equal(nf.code, 'ENOENT')
  assert.match(nf.message, /^\/scratch\/missing\.md: /)
  await assert.rejects(vfs.readTextAsync('/scratch/missing.md'), { code: 'ENOENT' })

  vfs.writeText('/scratch/doc.md', 'v1\n')
  const stale = vfs.stat('/scratch/doc.md').etag
  vfs.writeText('/scratch/doc.md', 'v2\n', { ifMatch: stale })
  assert.equal(thrown(() => vfs.writeText('/scratch/doc.md', 'v3\n', { ifMatch: stale })).code, 'ECONFLICT')
  await assert.rejects(vfs.writeTextAsync('/scratch/doc.md', 'v3\n', { ifMatch: stale }), { code: 'ECONFLICT' })
  assert.equal(thrown(() => vfs.edit('/scratch/doc.md', 'v2', 'v5', { ifMatch: stale })).code, 'ECONFLICT')
  assert.equal(thrown(() => vfs.writeText('/scratch/doc.md', 'v4\n', { createOnly: true })).code, 'ECONFLICT')
  assert.equal(fs.readFileSync(path.join(root, 'data/scratch/doc.md'), 'utf8'), 'v2\n')
  assert.equal(thrown(() => vfs.writeText('/scratch/doc.md/under.md', 'x')).code, 'ENOTDIR')
  assert.equal(thrown(() => vfs.tools('yaml')).code, 'EINVAL')
  assert.equal(thrown(() => vfs.call('ax_nope', {})).code, 'EINVAL')
  assert.equal(thrown(() => vfs.call('read', '{not json')).code, 'EINVAL')

  assert.equal(thrown(() => loadConfigFile(path.join(root, 'no-such.yaml'))).code, 'ECONFIG')
  fs.writeFileSync(path.join(root, 'bad.yaml'), 'mounts:\n  - path: scratch\n')
  const bad = thrown(() => loadConfigFile(path.join(root, 'bad.yaml')))
  assert.equal(bad.code, 'ECONFIG')
  assert.match(bad.message, /bad\.yaml/)
})

test('concurrent Promise appends lose nothing and tear nothing', async () => {
  const { config } = makeEnv()
  const vfs = loadConfigFile(config)
  for (const m of ['/scratch', '/archive', ...(S3_BUCKET ? ['/bucket'] : [])]) {
    const n = m === '/bucket' ? 40 : 400
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ m, i, pad: 'x'.repeat(i % 50) }) + '\n')
    await Promise.all(lines.map((l) => vfs.appendTextAsync(`${m}/log.jsonl`, l)))
    const got = vfs.readText(`${m}/log.jsonl`).split('\n').filter(Boolean)
    assert.equal(got.length, n, m)
    assert.deepEqual(new Set(got), new Set(lines.map((l) => l.trimEnd())), m)
  }
})

test('the event loop keeps running while calls are on the thread pool', async () => {
  const { config } = makeEnv({ s3: false })
  const vfs = loadConfigFile(config)
  vfs.writeBytes('/archive/big.bin', Buffer.alloc(32 << 20, 7))
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  const reads = await Promise.all([1, 2, 3, 4].map(() => vfs.readBytesAsync('/archive/big.bin')))
  clearInterval(timer)
  assert.ok(reads.every((b) => b.length === 32 << 20))
  assert.ok(ticks > 0, 'timers fired while the reads ran')
})

test('search, grep, find, mounts and tool calls', async () => {
  const { config } = makeEnv()
  const vfs = loadConfigFile(config)
  vfs.writeText('/notes/retry.md', '# Retries\nexponential backoff with jitter\n')
  // Fresh: the file written a moment ago is found, then gone once deleted.
  const hits = vfs.search('backoff jitter', { mode: 'keyword' })
  assert.equal(hits.mode, 'keyword')
  assert.equal(hits.results[0].path, '/notes/retry.md')
  assert.equal(hits.results[0].foundBy, 'keyword')
  assert.ok(hits.results[0].regions.length >= 1 && hits.results[0].startLine >= 1)
  const more = await vfs.searchAsync('retry backoff', { path: '/docs', limit: 5 })
  assert.deepEqual(more.results.map((r) => r.path), ['/docs/guide.md'])
  vfs.delete('/notes/retry.md')
  assert.equal(vfs.search('jitter', { mode: 'keyword' }).results.length, 0)

  const g = vfs.grep('BACKOFF', { path: '/docs', ignoreCase: true })
  assert.deepEqual(g.matches.map((m) => [m.path, m.lineNumber, m.text]), [['/docs/guide.md', 2, 'retry with backoff']])
  assert.equal((await vfs.grepAsync('nothing-matches-this')).matches.length, 0)
  const f = vfs.find('*.md', { path: '/docs' })
  assert.deepEqual(f.results, [{ path: '/docs/guide.md', kind: 'file' }])
  assert.equal((await vfs.findAsync('guide.*')).results[0].path, '/docs/guide.md')

  const mounts = vfs.mounts()
  assert.deepEqual(mounts.map((m) => m.path), ['/archive', ...(S3_BUCKET ? ['/bucket'] : []), '/docs', '/notes', '/scratch'])
  const docs = mounts.find((m) => m.path === '/docs')
  assert.deepEqual([docs.tier, docs.readOnly, docs.indexed, docs.backend], ['warm', true, true, 'local'])
  if (S3_BUCKET) assert.match(mounts.find((m) => m.path === '/bucket').backend, /^s3:\/\//)
  assert.equal((await vfs.mountsAsync()).length, mounts.length)

  const r = vfs.call('ax_read', { path: '/docs/guide.md', offset: 2 })
  assert.equal(r.content, 'retry with backoff\n')
  assert.equal(vfs.call('read', '{"path": "/docs/guide.md"}').total_lines, 2)
  assert.equal((await vfs.callAsync('ax_stat', { path: '/docs/guide.md' })).kind, 'file')
  assert.equal(JSON.parse(await vfs.toolsAsync('openai'))[0].type, 'function')
})

test('tools() is byte-identical to ax tools for the same config', () => {
  const { config } = makeEnv({ s3: false })
  const vfs = loadConfigFile(config)
  for (const format of ['openai', 'mcp', 'anthropic', 'json']) {
    const cli = execFileSync(AX, ['--config', config, 'tools', '--format', format]).toString()
    assert.equal(vfs.tools(format), cli, format)
  }
  assert.equal(vfs.tools(), vfs.tools('mcp'), 'the default format is mcp, as in Python')
})

test('hybrid search with the embedding model, when it is installed', { skip: !process.env.AX_MODEL_DIR && 'AX_MODEL_DIR is unset' }, async () => {
  const { config } = makeEnv({ s3: false, extra: 'search:\n  embedder: default\n' })
  const vfs = loadConfigFile(config)
  vfs.writeText('/notes/cats.md', '# Cats\nThe cat sat on the warm windowsill all afternoon.\n')
  vfs.writeText('/notes/tax.md', '# Taxes\nFile the quarterly VAT return before the deadline.\n')
  const out = await vfs.searchAsync('a kitten resting in the sun', { path: '/notes' })
  assert.equal(out.mode, 'hybrid')
  assert.equal(out.results[0].path, '/notes/cats.md')
})

test('loadDefault is the embedded default layout, under ./.ax-data', () => {
  const { root } = makeEnv({ s3: false })
  const cwd = process.cwd()
  process.chdir(root)
  try {
    const vfs = loadDefault()
    vfs.writeText('/scratch/hello.md', 'hi')
    assert.equal(fs.readFileSync(path.join(root, '.ax-data/scratch/hello.md'), 'utf8'), 'hi')
  } finally {
    process.chdir(cwd)
  }
})

test('index.d.ts declares every export and method the addon has', () => {
  const dts = fs.readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8')
  for (const name of Object.keys(ax)) {
    assert.match(dts, new RegExp(`export declare (function|class) ${name}\\b`), name)
  }
  const methods = Object.getOwnPropertyNames(Vfs.prototype).filter((n) => n !== 'constructor')
  for (const name of methods.filter((n) => !n.endsWith('Async'))) {
    assert.ok(methods.includes(`${name}Async`), `Vfs.${name} has a Promise form`)
  }
  assert.equal(methods.length, 38)
  for (const name of methods) assert.match(dts, new RegExp(`\\n  ${name}\\(`), `Vfs.${name}`)
  const code = dts.replace(/\/\*[\s\S]*?\*\//g, '')
  assert.doesNotMatch(code, /\bunknown\b|\bany\b/, 'no unknown or any where a type is known')
})
