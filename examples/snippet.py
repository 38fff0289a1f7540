"""The design's Python example, as a program (run by scripts/test.sh in a folder with ax.yaml)."""
import datetime
import json

import ax_vfs as ax

today = datetime.date.today().isoformat()
entry = json.dumps({"role": "user", "text": "Start the task"})

vfs = ax.load_config_file("ax.yaml")
vfs.write_text("/context/current_task.md", "Implement JWT authentication")
vfs.write_text("/context/plan.md", "# Plan\n\n- [ ] Start\n")
plan = vfs.read_text("/context/plan.md")
vfs.append_text(f"/memories/conversations/{today}.jsonl", entry + "\n")
vfs.write_text("/context/skills/review.md", "# Review\n")
names = [e.name for e in vfs.list("/context/skills") if not e.is_dir and e.name.endswith(".md")]
vfs.write_text("/context/scratch.txt", "temporary")
vfs.delete("/context/scratch.txt")
tools = vfs.tools(format="openai")  # a string, as `ax tools --format openai` prints

assert plan.startswith("# Plan") and names == ["review.md"]
assert json.loads(tools)[0]["type"] == "function"
print(f"snippet.py: ok ({len(json.loads(tools))} tools)")
