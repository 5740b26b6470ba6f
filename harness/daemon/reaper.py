# The process a private libvirtd runs under (harness/daemon/process.ts): a child subreaper
# (prctl PR_SET_CHILD_SUBREAPER) that forks libvirtd (its stdout joined to stderr), reports
# "pid N" and later "exit C" (C < 0: killed by signal -C) on its stdout, reaps every orphaned
# descendant (QEMU guests, helpers) and exits when none is left. QEMU guests are daemonized by
# libvirt and would otherwise be re-parented to this machine's pid 1, which does not reap them.
# Usage: python3 -I reaper.py PROGRAM ARGS...
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(36, 1, 0, 0, 0) != 0:
    sys.stderr.write("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed\n")
out = os.fdopen(1, "w", buffering=1)
pid = os.fork()
if pid == 0:
    try:
        os.dup2(2, 1)
        os.execv(sys.argv[1], sys.argv[1:])
    except BaseException as e:
        sys.stderr.write("reaper: exec %s failed: %s\n" % (sys.argv[1], e))
    os._exit(127)
out.write("pid %d\n" % pid)
while True:
    try:
        p, status = os.wait()
    except ChildProcessError:
        break
    if p == pid:
        out.write("exit %d\n" % os.waitstatus_to_exitcode(status))
