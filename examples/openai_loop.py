"""A minimal OpenAI tools loop over ax: the model picks ax tools, `ax call` executes them.
Usage: OPENAI_API_KEY=... python examples/openai_loop.py "Summarise /context/plan.md"
"""
import json, subprocess, sys
from openai import OpenAI

tools = json.loads(subprocess.run(["ax", "tools", "--format", "openai"], capture_output=True, check=True).stdout)
client = OpenAI()
messages = [{"role": "user", "content": " ".join(sys.argv[1:]) or "What is in /context?"}]
while True:
    reply = client.chat.completions.create(model="gpt-4.1-mini", messages=messages, tools=tools).choices[0].message
    messages.append(reply)
    if not reply.tool_calls:
        print(reply.content)
        break
    for call in reply.tool_calls:  # arguments arrive as a JSON string: pass them through unchanged
        run = subprocess.run(["ax", "call", call.function.name, call.function.arguments], capture_output=True, text=True)
        messages.append({"role": "tool", "tool_call_id": call.id, "content": run.stdout if run.returncode == 0 else run.stderr})
