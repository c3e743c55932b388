"""A TCP proxy in front of the PostgreSQL test server that a test can cut and restore.

``cut()`` drops every open connection and refuses new ones, as a pulled
network cable or a stopped server looks to the app; ``restore()`` lets
connections through again.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading


class CuttableProxy:
    """Listens on 127.0.0.1:<port> and forwards to ``target``."""

    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._open = True
        self._stopping = False
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping:
            readable, _, _ = select.select([self._listener], [], [], 0.1)
            if not readable:
                continue
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open:
                client.close()  # refused, as a server that is down
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        sockets = [a, b]
        try:
            while not self._stopping:
                readable, _, _ = select.select(sockets, [], [], 0.1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except (OSError, ValueError):  # cut() closed a socket under select(): fd -1
            return
        finally:
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def upstream_ports(self) -> list[int]:
        """The local ports of the proxy's connections to the server (its client_port there)."""
        with self._lock:
            ports = []
            for _client, upstream in self._pairs:
                with contextlib.suppress(OSError):
                    ports.append(upstream.getsockname()[1])
            return ports

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self._open = False
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()

    def restore(self) -> None:
        """Let connections through again."""
        self._open = True

    def close(self) -> None:
        """Stop the proxy."""
        self.cut()
        self._stopping = True
        self._thread.join(timeout=2)
        self._listener.close()
