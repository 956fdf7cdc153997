"""Property-based tests of the HTTP API against its own OpenAPI document (schemathesis), over loopback
HTTP to a real uvicorn server: generated requests, valid and invalid, never get a server error, and
every response matches what the document promises (status codes, content types, bodies, headers)."""
from __future__ import annotations

import asyncio
import socket
import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from unittest.mock import patch

from adapters.http.app import ApiOptions, create_api
from bot.service import services_of
from core.alert_service import Caller
from core.api_keys import new_key
from tests.conftest import sample_app


KEY = new_key()


class ApiServer(threading.Thread):
    """The sample app served by uvicorn in its own thread and event loop (where its database lives)."""

    def __init__(self, db_path) -> None:
        super().__init__(daemon=True)
        self.db_path = db_path
        self.ready = threading.Event()
        self.key = ""
        self.port = 0
        self.server = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as err:  # noqa: BLE001 - reported to the test thread
            self.error = err
            self.ready.set()

    async def _serve(self) -> None:
        import uvicorn

        async with sample_app(self.db_path) as app:
            services = services_of(app)
            with patch("core.api_keys.new_key", return_value=KEY):  # schemathesis needs the key before the server runs
                _, self.key = await services.keys.create(Caller("console", "schemathesis", "Schemathesis"))
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
            # Quotas are tested exactly elsewhere; here hundreds of generated requests must not hit them.
            api = create_api(services, ApiOptions(requests_per_hour=100_000, burst_per_minute=100_000))
            self.server = uvicorn.Server(uvicorn.Config(api, log_config=None, lifespan="off"))
            self.server.install_signal_handlers = lambda: None
            task = asyncio.create_task(self.server.serve(sockets=[sock]))
            while not self.server.started:
                await asyncio.sleep(0.01)
            self.ready.set()
            await task


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    server = ApiServer(tmp_path_factory.mktemp("schemathesis") / "api.db")
    server.start()
    assert server.ready.wait(60) and server.error is None, server.error
    yield server
    server.server.should_exit = True
    server.join(10)


class _NoServices:
    keys = object()  # the document does not depend on data: build it without a database


# The document the server serves (a test below checks they are the same), loaded at import time
# because schemathesis' lazy fixture loader does not work with pytest 9.
DOCUMENT = create_api(_NoServices()).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)


@schema.auth()
class ApiKeyAuth:
    """Schemathesis sends the key itself, so it can also leave it out on purpose (negative cases)."""

    def get(self, case, context):  # noqa: ANN001, ANN201
        return KEY

    def set(self, case, data, context) -> None:  # noqa: ANN001
        case.headers = {**(case.headers or {}), "X-API-Key": data}


def test_the_served_document_is_the_one_tested(api_server):
    import httpx

    assert httpx.get(f"http://127.0.0.1:{api_server.port}/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_get_documented_answers_and_never_a_server_error(case, api_server):
    case.call_and_validate(base_url=f"http://127.0.0.1:{api_server.port}", timeout=30)
