"""Runs a program on a pseudo-terminal and plays a script of keystrokes, as a person at a terminal would.

argv[1]: JSON {"argv": [...], "env": {...}, "cwd": dir?, "steps": [{"expect": regex, "send": text}, ...],
"timeout": seconds, "rows": n, "cols": n}
Each step waits until `expect` (a Python regex, searched in everything printed since the previous
step matched) shows in the output, then runs the command `run` if the step has one (argv, to act
on the world meanwhile: resume a guest), then types `send` (as given: "\r" is Enter, "\t" Tab,
"\x1d" Ctrl-]). When the steps are done it reads until the program exits (or the timeout, then SIGKILL).
Prints JSON {"output", "status", "steps_done", "timed_out"}: `status` is the exit status (negative:
killed by that signal). Used by the tests of tsvirsh's edit, console and interactive shell, which
run the same script against virsh.
"""
import fcntl, json, os, pty, re, select, struct, subprocess, sys, termios, time

spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    if spec.get("cwd"):
        os.chdir(spec["cwd"])
    os.execve(spec["argv"][0], spec["argv"], spec["env"])

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", spec.get("rows", 24), spec.get("cols", 200), 0, 0))
out = b""
mark = 0
steps = spec.get("steps", [])
done = 0
status = None
timed_out = False
deadline = time.time() + spec.get("timeout", 60)
while True:
    if time.time() > deadline:
        timed_out = True
        os.kill(pid, 9)
        break
    while done < len(steps):
        m = re.compile(steps[done]["expect"].encode(), re.S).search(out, mark)
        if not m:
            break
        mark = m.end()
        time.sleep(steps[done].get("delay", 0.05))
        if steps[done].get("run"):
            subprocess.run(steps[done]["run"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        os.write(fd, steps[done]["send"].encode())
        done += 1
    ready, _, _ = select.select([fd], [], [], 0.05)
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if data:
            out += data
            continue
    w, st = os.waitpid(pid, os.WNOHANG)
    if w:
        status = st
        # drain what is left
        try:
            while select.select([fd], [], [], 0.1)[0]:
                data = os.read(fd, 65536)
                if not data:
                    break
                out += data
        except OSError:
            pass
        break

if status is None:
    _, status = os.waitpid(pid, 0)
print(json.dumps({"output": out.decode("utf8", "replace"), "status": os.waitstatus_to_exitcode(status), "steps_done": done, "timed_out": timed_out}))
