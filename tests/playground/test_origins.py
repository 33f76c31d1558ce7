"""The run WebSocket takes browsers from this site's own origin only: scheme, host and port."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from playground.asgi import application
from tests.playground.conftest import make_world
from tests.playground.test_consumer import in_memory_layer  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.django_db(transaction=True)

HOST = b"127.0.0.1:8000"


@pytest.fixture
async def world() -> dict:
    return await database_sync_to_async(make_world)()


async def opens(world: dict, origin: bytes | None, host: bytes = HOST, scheme: str = "ws") -> bool:
    headers = [(b"host", host), (b"authorization", f"Bearer {world['owner_key']}".encode())]
    if origin is not None:
        headers.append((b"origin", origin))
    comm = WebsocketCommunicator(application, f"/ws/runs/{world['run'].pk}/", headers=headers)
    comm.scope["scheme"] = scheme
    connected, _ = await comm.connect()
    await comm.disconnect()
    return connected


@pytest.mark.parametrize(
    "origin",
    [
        b"http://127.0.0.1:9999",  # another port on the same host: another site
        b"http://localhost:1",
        b"https://127.0.0.1:8000",  # another scheme
        b"http://127.0.0.1",  # port 80, not 8000
        b"http://evil.example:8000",
        b"null",
    ],
)
async def test_it_refuses_a_browser_from_another_origin(world: dict, origin: bytes) -> None:
    """Any difference in scheme, host or port is another origin: the handshake is refused."""
    assert not await opens(world, origin)


async def test_it_accepts_its_own_origin_and_a_script_without_one(world: dict) -> None:
    """The page's own origin opens the socket; a script (no Origin header, a token) does too."""
    assert await opens(world, b"http://127.0.0.1:8000")
    assert await opens(world, None)


async def test_it_accepts_a_trusted_origin_and_https_behind_tls(world: dict, settings) -> None:
    """CSRF_TRUSTED_ORIGINS entries are trusted exactly; wss pairs with an https origin."""
    settings.CSRF_TRUSTED_ORIGINS = ["https://play.example.org"]
    assert await opens(world, b"https://play.example.org")
    assert not await opens(world, b"https://play.example.org:8443")
    assert await opens(world, b"https://localhost", host=b"localhost", scheme="wss")
    assert not await opens(world, b"http://localhost", host=b"localhost", scheme="wss")
