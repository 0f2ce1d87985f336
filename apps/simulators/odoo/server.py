"""A small threaded HTTP/1.1 server (keep-alive) for the simulator.

Stdlib only: an accept loop in one thread, a thread per connection (bounded), requests parsed by
BaseHTTPRequestHandler, each response written in one send (no Nagle stalls). It can close and
reopen its listening socket to simulate "connection refused", and stop() closes every open
connection so a pooled client sees the server go away.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler

from .app import OdooSimulator, Response

logger = logging.getLogger("integrationhub.odoo_sim")

MAX_CONNECTIONS = 512
MAX_BODY_BYTES = 128 * 1024 * 1024  # Odoo's default web.max_file_upload_size
IDLE_TIMEOUT_S = 75.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Werkzeug/3.0.1"
    sys_version = "Python/3"
    timeout = IDLE_TIMEOUT_S

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        logger.debug("%s - %s", self.client_address[0], format % args)

    def _serve(self) -> None:
        sim_server: SimulatorServer = self.server  # type: ignore[assignment]
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            try:
                size = int(length or 0)
            except ValueError:
                self._write(Response(400, b"Bad Content-Length", "text/plain"))
                return
            if size > MAX_BODY_BYTES:
                self._write(Response(413, b"413 Request Entity Too Large", "text/plain"))
                self.close_connection = True
                return
            body = self.rfile.read(size) if size else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            response = sim_server.app.handle(
                self.command, self.path, headers, body, self.client_address[0]
            )
        except Exception:  # a simulator bug must still answer like a crashed Odoo worker
            logger.exception("odoo simulator error on %s %s", self.command, self.path)
            response = Response(500, b"500 Internal Server Error", "text/plain")
        logger.debug(
            "%s %s %s -> %s%s",
            self.client_address[0],
            self.command,
            self.path,
            "dropped" if response.drop else response.status,
            f" (after {response.delay_s:.1f}s)" if response.delay_s else "",
        )
        if response.delay_s:
            sim_server.app.sleep(response.delay_s)
        if response.drop:
            self._drop(reset=response.reset)
            return
        self._write(response)

    def _read_chunked(self) -> bytes:
        chunks = []
        total = 0
        while True:
            line = self.rfile.readline(65537)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise ValueError("chunked body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(65537)

    def _write(self, response: Response) -> None:
        reason = self.responses.get(response.status, ("",))[0]
        lines = [
            f"HTTP/1.1 {response.status} {reason}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {response.content_type}",
            f"Content-Length: {len(response.body)}",
        ]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + (response.body if self.command != "HEAD" else b""))

    def _drop(self, reset: bool) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            if reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            else:
                self.connection.shutdown(socket.SHUT_RDWR)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve


class SimulatorServer:
    """Serve an OdooSimulator on host:port (port 0 picks a free one) until stop()."""

    def __init__(self, app: OdooSimulator, host: str = "127.0.0.1", port: int = 8069):
        self.app = app
        self.host = host
        self.port = port
        self._listener: socket.socket | None = None
        self._listener_lock = threading.Lock()
        self._reopen_at: float | None = None
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._thread: threading.Thread | None = None
        app.on_refuse = self.refuse_for

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(256)
        self.port = sock.getsockname()[1]
        return sock

    def start(self) -> SimulatorServer:
        self._listener = self._bind()
        self._thread = threading.Thread(
            target=self._accept_loop, name="odoo-sim-accept", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        if self._thread is None:
            self.start()
        while not self._stop.is_set():
            self._stop.wait(0.5)

    def refuse_for(self, seconds: float) -> None:
        """Go down like a stopped process: close the listening socket (new clients get
        ECONNREFUSED) and every open connection, and listen again after `seconds`. Runs a moment
        later so the control request that asked for it still gets its answer."""
        reopen_at = time.monotonic() + seconds

        def go_down():
            with self._listener_lock:
                self._reopen_at = reopen_at
                if self._listener is not None:
                    with contextlib.suppress(OSError):
                        self._listener.close()
                    self._listener = None
            self._close_connections()

        timer = threading.Timer(0.05, go_down)
        timer.daemon = True
        timer.start()

    def _close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def reopen_now(self) -> None:
        with self._listener_lock:
            self._reopen_at = time.monotonic()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            with self._listener_lock:
                listener = self._listener
                due = self._reopen_at is not None and (
                    time.monotonic() >= self._reopen_at or self.app.faults.outage is None
                )
                if listener is None and due:
                    try:
                        self._listener = listener = self._bind()
                        self._reopen_at = None
                    except OSError:
                        listener = None
            if listener is None:
                self._stop.wait(0.02)
                continue
            try:
                ready, _, _ = select.select([listener], [], [], 0.2)
            except (OSError, ValueError):
                continue  # closed by refuse_for() meanwhile
            if not ready:
                continue
            try:
                conn, address = listener.accept()
            except OSError:
                continue
            if not self._slots.acquire(blocking=False):
                logger.warning("odoo simulator: too many connections, closing one from %s", address)
                conn.close()
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._connections_lock:
                self._connections.add(conn)
            with self.app.call_stats.lock:
                self.app.call_stats.connections += 1
            threading.Thread(
                target=self._serve_connection,
                args=(conn, address),
                daemon=True,
                name="odoo-sim-conn",
            ).start()

    def _serve_connection(self, conn: socket.socket, address) -> None:
        try:
            _Handler(conn, address, self)
        except (OSError, ValueError):
            pass  # the client went away (or stop() closed the socket)
        except Exception:
            logger.exception("odoo simulator connection error")
        finally:
            with self._connections_lock:
                self._connections.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()
            self._slots.release()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, wake sleeping requests, close every connection, join the loop."""
        self._stop.set()
        self.app.stopping.set()
        with self._listener_lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):
                    self._listener.close()
                self._listener = None
        self._close_connections()
        if self._thread is not None:
            self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._connections_lock:
                if not self._connections:
                    break
            time.sleep(0.01)
