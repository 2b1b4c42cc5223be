"""What a granian worker process runs first: it ties its life to the server that started it.

A server killed outright (SIGKILL, the OOM killer) cannot stop its workers, which would go on
serving its port beside the next server. The kernel sends each worker SIGTERM when its parent
dies (Linux's PR_SET_PDEATHSIG); granian stops the worker gracefully on it. It costs nothing
while the server lives.
"""

import ctypes
import os
import signal
import sys

from litestar import Litestar

from entrypoints.http.app import create_app

SERVER_PID_VARIABLE = "AUTHGATE_SERVER_PID"
_PR_SET_PDEATHSIG = 1


def create_worker_app() -> Litestar:
    _end_with_server()
    return create_app()


def _end_with_server() -> None:
    server_pid = os.environ.get(SERVER_PID_VARIABLE)
    if server_pid is None or not sys.platform.startswith("linux"):
        return
    # A forked worker inherits the server's Python handler for SIGTERM, which would only flag the
    # (dead) server's loop: until granian installs the worker's own handler, SIGTERM must kill.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != int(server_pid):
        # The server died before the request to be told of it took effect.
        sys.exit("authgate: the server that started this worker is gone")
