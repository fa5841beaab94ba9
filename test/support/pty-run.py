"""Runs a program on a pseudo-terminal, as a person at a terminal would, for
end-to-end tests of lockstep's hidden prompt.

    python3 pty-run.py PROMPT INPUT_HEX -- PROGRAM ARGS...

Waits until the program has printed PROMPT, then types INPUT (hex-encoded
bytes), and reads everything the program prints until it exits. Prints one
JSON object: {"code": exit status, "output": what the terminal showed}.
"""
import json
import os
import pty
import select
import sys

prompt = sys.argv[1].encode()
data = bytes.fromhex(sys.argv[2])
argv = sys.argv[sys.argv.index("--") + 1:]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

output = b""
sent = False
while True:
    ready, _, _ = select.select([fd], [], [], 30)
    if not ready:
        os.kill(pid, 9)  # the program hangs: end it, and report what it showed
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break  # the terminal closed: the program ended
    if not chunk:
        break
    output += chunk
    if not sent and prompt in output:
        os.write(fd, data)
        sent = True
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
print(json.dumps({"code": code, "output": output.decode("utf-8", "replace")}))
