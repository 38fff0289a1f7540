// The design's TypeScript example, as an ES module program.
import { loadConfigFile } from 'ax-vfs'

const today = new Date().toISOString().slice(0, 10)
const entry = JSON.stringify({ role: 'user', text: 'Start the plan' })

const vfs = loadConfigFile('ax.yaml')
vfs.writeText('/context/plan.md', '# Plan\n\n- [ ] Start')
vfs.writeText('/context/state.json', JSON.stringify({ step: 1 }))
const state = JSON.parse(vfs.readText('/context/state.json'))
vfs.appendText(`/memories/conversations/${today}.jsonl`, entry + '\n')
const tools = vfs.tools('mcp')

if (state.step !== 1) throw new Error('state did not round-trip')
if (!JSON.parse(tools).some((t) => t.name === 'ax_read')) throw new Error('no ax_read tool')
console.log(`snippet.mjs: ok (${JSON.parse(tools).length} tools)`)
