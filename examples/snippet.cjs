// The same example from CommonJS.
const { loadConfigFile } = require('ax-vfs')

const vfs = loadConfigFile('ax.yaml')
vfs.writeText('/context/plan.md', '# Plan\n\n- [ ] Start')
const plan = vfs.readText('/context/plan.md', { offset: 3 })
if (plan !== '- [ ] Start') throw new Error(`unexpected plan line: ${JSON.stringify(plan)}`)
console.log('snippet.cjs: ok')
