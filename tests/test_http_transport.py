"""The server's transport wrapper: a response in one write, Go's header-name case, TCP_NODELAY;
and the gunzip that bounds what it inflates to."""

from __future__ import annotations

import asyncio
import gzip
import socket

import pytest

from influxlite.http.server import _canonical_headers, _protocol_class
from influxlite.http.write import BodyTooLarge, gunzip

pytestmark = pytest.mark.compares_implementations  # no parsing or storage: once is enough


class FakeTransport:
    def __init__(self, sock=None) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.sock = sock

    def write(self, data) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name, default=None):
        if name == "socket":
            return self.sock
        if name in ("peername", "sockname"):
            return ("127.0.0.1", 1)
        return default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def test_headers_and_body_leave_in_one_write_with_nodelay():
    import uvicorn

    async def run():
        srv = socket.create_server(("127.0.0.1", 0))
        a = socket.create_connection(srv.getsockname())
        b, _ = srv.accept()
        with srv, a, b:
            t = FakeTransport(a)
            config = uvicorn.Config(lambda *_: None, lifespan="off")
            config.load()
            from uvicorn.server import ServerState

            proto = _protocol_class()(config=config, server_state=ServerState(), app_state={})
            proto.connection_made(t)
            assert a.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            wrapped = proto.transport
            wrapped.write(b"HTTP/1.1 400 Bad Request\r\nx-influxdb-error: e\r\ncontent-length: 14\r\n\r\n")
            wrapped.write(b'{"error":"e"}\n')
            assert t.writes == []  # nothing yet: both go out together at the end of the step
            await asyncio.sleep(0)
            assert t.writes == [b"HTTP/1.1 400 Bad Request\r\nX-Influxdb-Error: e\r\nContent-Length: 14\r\n\r\n"
                                b'{"error":"e"}\n']
            wrapped.write(b"HTTP/1.1 204 No Content\r\n\r\n")
            wrapped.close()  # a close flushes first
            assert t.writes[-1] == b"HTTP/1.1 204 No Content\r\n\r\n" and t.closed

    asyncio.run(run())


def test_canonical_header_names():
    block = b"HTTP/1.1 204 No Content\r\nx-request-id: a:b\r\nrequest-id: x\r\ncontent-type: application/json\r\n\r\n"
    assert _canonical_headers(block) == (b"HTTP/1.1 204 No Content\r\nX-Request-Id: a:b\r\nRequest-Id: x\r\n"
                                         b"Content-Type: application/json\r\n\r\n")


def test_gunzip_bounds_what_it_inflates_to():
    data = b"m v=1 1\n" * 10_000
    assert gunzip(gzip.compress(data), 0) == data
    assert gunzip(gzip.compress(data), len(data)) == data
    with pytest.raises(BodyTooLarge):
        gunzip(gzip.compress(data), len(data) - 1)
    two = gzip.compress(data[:100]) + gzip.compress(data[100:])
    assert gunzip(two, len(data)) == data
    with pytest.raises(BodyTooLarge):  # the bound counts every member
        gunzip(two, len(data) - 1)


@pytest.mark.parametrize("body, message", [
    (b"", "EOF"),
    (b"\x1f\x8b", "unexpected EOF"),
    (b"not gzip at all", "gzip: invalid header"),
    (gzip.compress(b"m v=1 1\n")[:-3], "unexpected EOF"),
    (gzip.compress(b"m v=1 1\n" * 100)[:20], "unexpected EOF"),
    (gzip.compress(b"m v=1 1\n") + b"x" * 12, "gzip: invalid header"),
])
def test_gunzip_errors_are_gos(body, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        gunzip(body, 0)


def test_gunzip_corrupt_deflate_is_flate_error():
    good = gzip.compress(b"m v=1 1\n" * 100)
    bad = good[:10] + b"\xff" * 8 + good[18:]
    with pytest.raises(ValueError, match="^flate: corrupt input before offset \\d+$"):
        gunzip(bad, 0)
