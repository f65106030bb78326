"""Serve bench/baseline_app.py on N processes the way `takedown serve --processes N` serves
Takedown: each process listens on a socket of its own in the port's SO_REUSEPORT group.

uvicorn's `--workers N` shares one socket, and on it a load generator's keep-alive connections
all went to one process; a baseline served that way would be handicapped at N > 1 and flatter
Takedown's ratio. Usage: `python -m bench.baseline_serve HOST PORT N` (BASELINE_DATABASE_URL
in the environment); stops every process on SIGTERM or SIGINT.
"""

from __future__ import annotations

import multiprocessing
import signal
import sys
import threading

from takedown.cli.serving import port_socket


def _serve(host: str, port: int) -> None:
    import uvicorn

    config = uvicorn.Config("bench.baseline_app:app", log_level="warning")
    uvicorn.Server(config).run(sockets=[port_socket(host, port)])


def main(host: str, port: int, processes: int) -> None:
    holder = port_socket(host, port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_serve, args=(host, port)) for _ in range(processes)]
    for child in children:
        child.start()
    while not stop.wait(0.5):
        if not all(child.is_alive() for child in children):
            break  # a baseline that lost a process would measure less than it should
    for child in children:
        child.terminate()
    for child in children:
        child.join(15)
        if child.is_alive():
            child.kill()
    holder.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
