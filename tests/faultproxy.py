"""A TCP proxy on loopback between a client and a real server, that cuts one exchange on purpose.

It relays bytes both ways. Armed with a marker, it cuts the first connection whose client sends a
request holding the marker, in one of two ways:

* ``"request"``: the request is not passed on (the server never sees it);
* ``"reply"``: the request is passed on, the server's answer read and thrown away: the server did
  what was asked, and the client never hears of it.

Either way both sockets are then closed, as a network or a server failure would close them; later
connections are relayed again. This is how the tests put a commit exactly where a failure leaves
it uncertain, every run.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from typing import Literal

Cut = Literal["request", "reply"]


class FaultProxy:
    """A proxy on a free loopback port to ``127.0.0.1:upstream``."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self._marker: bytes | None = None
        self._cut: Cut = "reply"
        self._lock = threading.Lock()
        #: How many exchanges were cut.
        self.cuts = 0
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def arm(self, marker: bytes, cut: Cut) -> None:
        """Cut the next exchange whose request holds ``marker``."""
        with self._lock:
            self._marker, self._cut = marker, cut

    def _take(self, data: bytes) -> Cut | None:
        with self._lock:
            if self._marker is not None and self._marker in data:
                self._marker = None
                self.cuts += 1
                return self._cut
        return None

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(client, selectors.EVENT_READ, server)
        sel.register(server, selectors.EVENT_READ, client)
        pending = b""  # the client's last bytes, so that a marker split across reads is seen
        cutting = False  # the request to cut was seen: its answer is thrown away
        try:
            while True:
                for key, _ in sel.select(timeout=1.0):
                    source: socket.socket = key.fileobj  # type: ignore[assignment]
                    data = source.recv(65536)
                    if not data:
                        return
                    if source is client:
                        window = pending + data
                        pending = window[-64:]
                        cut = None if cutting else self._take(window)
                        if cut == "request":
                            return
                        cutting = cutting or cut == "reply"
                        server.sendall(data)  # the rest of a request to cut goes on too
                    elif cutting:
                        return  # the server has answered: the client never hears it
                    else:
                        client.sendall(data)
                if self._closed:
                    return
        except OSError:
            return
        finally:
            sel.close()
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._closed = True
        self.listener.close()
