#!/usr/bin/env python3
# Runs a command on a pseudo-terminal of its own (it is the session leader, as a command typed in a
# terminal window is), waits until its output shows PATTERN, then closes the terminal as a closed
# window or a dropped ssh session does: the kernel hangs it up and sends SIGHUP. Prints one JSON line:
# how the command ended and what it printed. Usage: hang-up.py TIMEOUT_S PATTERN CMD [ARG...]
import json, os, pty, re, select, sys, time

timeout, pattern, argv = float(sys.argv[1]), re.compile(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
seen, deadline = b'', time.time() + timeout
while not pattern.search(seen.decode(errors='replace')) and time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            seen += os.read(fd, 65536)
        except OSError:
            break
matched = bool(pattern.search(seen.decode(errors='replace')))
time.sleep(0.5)  # the command goes on past the line it printed (e.g. to install its signal handlers)
os.close(fd)
status, deadline = None, time.time() + timeout
while status is None and time.time() < deadline:
    done, raw = os.waitpid(pid, os.WNOHANG)
    if done == pid:
        status = raw
    else:
        time.sleep(0.05)
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({
    'matched': matched,
    'exited': status is not None,
    'code': os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None,
    'signal': os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None,
    'output': seen.decode(errors='replace'),
}))
