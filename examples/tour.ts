// Every method of ax-vfs once, typed: type-checked with `tsc --noEmit`, then compiled and run
// by scripts/test.sh in a new project that installed the package with `npm install`. Uses the
// hot, warm and cold (file://) mounts of ax.yaml, plus a cold mount on S3 when the test server
// is up (AX_TEST_S3_BUCKET and the AWS_* variables of scripts/s3-server.sh).
import fs from 'node:fs'
import {
  loadConfigFile,
  loadDefault,
  type AxError,
  type Entry,
  type JsonValue,
  type SearchResult,
  type Stat,
  type Vfs,
  type WriteResult,
} from 'ax-vfs'

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`tour.ts: ${what}`)
}

function code(f: () => unknown): AxError['code'] {
  try {
    f()
  } catch (e) {
    return (e as AxError).code
  }
  throw new Error('tour.ts: expected an error')
}

let config = fs.readFileSync('ax.yaml', 'utf8')
const bucket = process.env.AX_TEST_S3_BUCKET
if (bucket) {
  config = config.replace(
    'search:',
    `  - path: /bucket\n    tier: cold\n    url: s3://${bucket}/tour-${process.pid}-${Date.now()}/\nsearch:`,
  )
}
fs.mkdirSync('data/docs', { recursive: true })
fs.writeFileSync('data/docs/guide.md', '# Guide\nretry with backoff\n')
fs.writeFileSync('tour.yaml', config)

// A folder of its own in every mount, so runs never meet.
const run = `tour-${process.pid}-${Date.now()}`
const vfs: Vfs = loadConfigFile('tour.yaml')
const tiers = ['/context', '/memories', '/archive', ...(bucket ? ['/bucket'] : [])]

async function main(): Promise<void> {
  for (const m of tiers) {
    const w: WriteResult = vfs.writeText(`${m}/${run}/a.md`, 'one\ntwo\n')
    check(w.created && w.bytes === 8, `${m}: writeText`)
    check(vfs.readText(`${m}/${run}/a.md`, { offset: 2, limit: 1 }) === 'two\n', `${m}: readText window`)
    const st: Stat = vfs.stat(`${m}/${run}/a.md`)
    check(st.etag === w.etag && st.mount === m, `${m}: stat`)
    vfs.appendText(`${m}/${run}/a.md`, 'three\n', { ifMatch: st.etag })
    check(code(() => vfs.writeText(`${m}/${run}/a.md`, 'x', { ifMatch: st.etag })) === 'ECONFLICT', `${m}: stale ifMatch`)
    vfs.writeBytes(`${m}/${run}/b.bin`, new Uint8Array([0, 1, 255]))
    vfs.appendBytes(`${m}/${run}/b.bin`, Buffer.from([9]))
    check(vfs.readBytes(`${m}/${run}/b.bin`).equals(Buffer.from([0, 1, 255, 9])), `${m}: bytes`)
    check((await vfs.readTextAsync(`${m}/${run}/a.md`)) === 'one\ntwo\nthree\n', `${m}: readTextAsync`)
    await vfs.writeTextAsync(`${m}/${run}/c.md`, 'c')
    await vfs.appendTextAsync(`${m}/${run}/c.md`, 'c')
    await vfs.writeBytesAsync(`${m}/${run}/d.bin`, Buffer.from('d'))
    await vfs.appendBytesAsync(`${m}/${run}/d.bin`, Buffer.from('d'))
    check((await vfs.readBytesAsync(`${m}/${run}/d.bin`)).toString() === 'dd', `${m}: async bytes`)
    check(vfs.edit(`${m}/${run}/c.md`, 'cc', 'C').replacements === 1, `${m}: edit`)
    check((await vfs.editAsync(`${m}/${run}/c.md`, 'C', 'D')).replacements === 1, `${m}: editAsync`)
    const names = vfs.list(`${m}/${run}`).map((e: Entry) => e.name)
    check(names.join(',') === 'a.md,b.bin,c.md,d.bin', `${m}: list ${names}`)
    check((await vfs.listAsync(`${m}/${run}`)).length === 4, `${m}: listAsync`)
    check(vfs.exists(`${m}/${run}/a.md`) && !(await vfs.existsAsync(`${m}/${run}/z.md`)), `${m}: exists`)
    check((await vfs.statAsync(`${m}/${run}/b.bin`)).size === 4, `${m}: statAsync`)
    vfs.copy(`${m}/${run}/a.md`, `${m}/${run}/copy.md`)
    await vfs.copyAsync(`${m}/${run}/a.md`, `/context/${run}-from-${m.slice(1)}.md`)
    vfs.move(`${m}/${run}/copy.md`, `${m}/${run}/moved.md`)
    await vfs.moveAsync(`${m}/${run}/moved.md`, `${m}/${run}/moved2.md`)
    vfs.delete(`${m}/${run}/moved2.md`)
    await vfs.deleteAsync(`${m}/${run}/d.bin`)
    check(!vfs.exists(`${m}/${run}/moved2.md`), `${m}: delete`)
  }
  check(code(() => vfs.writeText('/docs/x.md', 'x')) === 'EROFS', 'read-only mount')
  check(code(() => vfs.readText('/context/../../etc/passwd')) === 'EACCES', 'jail')
  check(!fs.existsSync('data/docs/x.md'), 'nothing written on a refused write')

  const hits: SearchResult = vfs.search('retry backoff', { mode: 'keyword' })
  check(hits.results[0]?.path === '/docs/guide.md', 'search')
  check((await vfs.searchAsync('backoff', { path: '/docs', limit: 1 })).results.length === 1, 'searchAsync')
  check(vfs.grep('backoff', { path: '/docs' }).matches[0]?.lineNumber === 2, 'grep')
  check((await vfs.grepAsync('backoff', { ignoreCase: true })).matches.length >= 1, 'grepAsync')
  check(vfs.find('*.md', { path: '/docs' }).results.length === 1, 'find')
  check((await vfs.findAsync('guide.md')).results[0]?.kind === 'file', 'findAsync')
  check(vfs.mounts().length === tiers.length + 1, 'mounts')
  check((await vfs.mountsAsync()).some((m) => m.readOnly), 'mountsAsync')
  const openai = JSON.parse(vfs.tools('openai')) as Array<{ type: string }>
  check(openai[0]?.type === 'function', 'tools')
  check((await vfs.toolsAsync('anthropic')).includes('input_schema'), 'toolsAsync')
  const read: JsonValue = vfs.call('ax_read', { path: '/docs/guide.md' })
  check(typeof read === 'object' && read !== null && !Array.isArray(read) && read.total_lines === 2, 'call')
  check(((await vfs.callAsync('stat', '{"path": "/docs/guide.md"}')) as { kind: string }).kind === 'file', 'callAsync')
  check(loadDefault().mounts().length > 0, 'loadDefault')
  console.log(`tour.ts: ok (${tiers.join(', ')})`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
