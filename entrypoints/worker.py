"""What a granian worker process runs first: it ties its life to the server that started it.

A server killed outright (SIGKILL, the OOM killer) cannot stop its workers, which would go on
serving its port beside the next server. The kernel kills each worker when its parent dies
(Linux's PR_SET_PDEATHSIG), which costs nothing while the server lives. SIGKILL, not SIGTERM:
a worker still starting when SIGTERM came could stall for good (its main thread blocked on a
lock inside granian, called from the event loop); and with its server gone, nobody waits for
a graceful stop anyway. A server stopped the normal way (SIGTERM, Ctrl-C) still stops its
workers gracefully first.
"""

import ctypes
import gc
import os
import signal
import sys

from litestar import Litestar

from adapters.prometheus_metrics import GC_PAUSES
from entrypoints.http.app import create_served_app

SERVER_PID_VARIABLE = "AUTHGATE_SERVER_PID"
_PR_SET_PDEATHSIG = 1


def create_worker_app() -> Litestar:
    _end_with_server()
    app = create_served_app()
    _freeze_start_up_heap()
    # From here on: the start-up collection just made is not a pause any request waited for.
    GC_PAUSES.install()
    return app


def _freeze_start_up_heap() -> None:
    """Start-up leaves some 120,000 long-lived objects (modules, routes, schemas) that the cyclic
    collector walked on every full collection, and requests leave enough reference cycles behind
    that a full collection ran every few seconds under load: 35-50 ms each on this kind of
    machine, with the worker answering nothing meanwhile, which was the p99 of every endpoint.
    Frozen, they are still freed by reference counting but never walked, and a full collection
    takes about a millisecond."""
    gc.collect()
    gc.freeze()


def _end_with_server() -> None:
    server_pid = os.environ.get(SERVER_PID_VARIABLE)
    if server_pid is None or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != int(server_pid):
        # The server died before the request to be told of it took effect.
        sys.exit("authgate: the server that started this worker is gone")
