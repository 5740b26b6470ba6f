"""Runs a program on a pseudo-terminal and answers one prompt, as a person would.

argv[1]: JSON {"argv": [...], "env": {...}, "expect": regex, "answer": text, "timeout": seconds}
Waits for `expect` in the output, then for the terminal to stop echoing (a password prompt turns
echo off: answering earlier would echo the secret), types `answer` and Enter, and collects the
rest. Prints JSON {"output", "status", "answered", "echo_off"}. Used by the tests of tsvirsh's
and virsh's password prompts (test/integration/cli-ssh-prompt.test.ts).
"""
import json, os, pty, re, select, sys, termios, time

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execve(spec["argv"][0], spec["argv"], spec["env"])

out = b""
status = None
answered = False
echo_off = None
deadline = time.time() + spec.get("timeout", 60)
pattern = re.compile(spec["expect"].encode())
while time.time() < deadline:
    if not answered and pattern.search(out):
        # Wait (bounded) until the program has turned echo off, then answer.
        until = time.time() + 10
        while time.time() < until and termios.tcgetattr(fd)[3] & termios.ECHO:
            time.sleep(0.02)
        echo_off = not (termios.tcgetattr(fd)[3] & termios.ECHO)
        os.write(fd, (spec["answer"] + "\r").encode())
        answered = True
    ready, _, _ = select.select([fd], [], [], 0.1)
    if fd in ready:
        try:
            data = os.read(fd, 4096)
        except OSError:
            break
        if not data:
            break
        out += data
    else:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
else:
    os.kill(pid, 9)

if status is None:
    _, status = os.waitpid(pid, 0)
print(json.dumps({"output": out.decode("utf8", "replace"), "status": os.waitstatus_to_exitcode(status), "answered": answered, "echo_off": echo_off}))
