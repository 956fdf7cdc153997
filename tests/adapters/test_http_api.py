"""The HTTP API through its real ASGI app (httpx ASGITransport) on the sample database: what a script,
spreadsheet or website sees, status codes and error bodies included."""
from __future__ import annotations

import gzip

import httpx
import pytest
import pytest_asyncio

from adapters.commands import COMMANDS, Invocation, dispatch
from adapters.http.app import ApiOptions, create_api
from bot.service import services_of
from core.alert_service import Caller
from tests.conftest import sample_app

pytestmark = pytest.mark.asyncio(loop_scope="module")
ASH = Caller("discord", "1001", "Ash")
GARY = Caller("telegram", "2002", "Gary")
HOUR = 1_800_000_000 - 1_800_000_000 % 3600


class Clock:
    def __init__(self) -> None:
        self.now = HOUR + 5.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory):
    async with sample_app(tmp_path_factory.mktemp("api") / "api.db") as app:
        yield services_of(app)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def keys(services):
    return {"ash": (await services.keys.create(ASH, "tests"))[1], "gary": (await services.keys.create(GARY))[1]}


def client(services, key: str | None, clock=None, **headers) -> httpx.AsyncClient:
    api = create_api(services, ApiOptions(), clock=clock or Clock())
    if key:
        headers["X-API-Key"] = key
    return httpx.AsyncClient(transport=httpx.ASGITransport(api), base_url="http://api.test", headers=headers)


def error_of(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details", "timestamp"}
    assert body["error"]["code"] == code and body["error"]["message"]
    assert body["error"]["timestamp"].endswith("Z")
    return body["error"]


# ---------------------------------------------------------------- cards and prices


async def test_search_finds_cards_and_pages_through_them(services, keys):
    async with client(services, keys["ash"]) as api:
        first = (await api.get("/v1/cards/search", params={"q": "charizard", "limit": 2})).json()
        second = (await api.get("/v1/cards/search", params={"q": "charizard", "limit": 2, "offset": 2})).json()
        exact = (await api.get("/v1/cards/search", params={"q": "sv3pt5 199"})).json()
        onepiece = (await api.get("/v1/cards/search", params={"q": "luffy", "game": "onepiece"})).json()
    assert len(first["data"]) == 2 and first["pagination"] == {"limit": 2, "offset": 0, "has_more": True, "total": None}
    assert not {c["id"] for c in first["data"]} & {c["id"] for c in second["data"]}
    assert exact["data"][0]["id"] == "sv3pt5-199" and exact["data"][0]["set"] == {"code": "sv3pt5", "name": "151"}
    assert onepiece["data"] and all(c["game"] == "onepiece" for c in onepiece["data"])


async def test_bad_query_parameters_get_validation_errors(services, keys):
    async with client(services, keys["ash"]) as api:
        missing = error_of(await api.get("/v1/cards/search"), 422, "validation_error")
        too_big = error_of(await api.get("/v1/cards/search", params={"q": "x", "limit": 101}), 422, "validation_error")
        game = error_of(await api.get("/v1/cards/search", params={"q": "x", "game": "yugioh"}), 422, "validation_error")
    assert missing["details"][0]["field"] == "query.q"
    assert too_big["details"][0]["field"] == "query.limit" and "100" in too_big["message"]
    assert game["details"][0]["field"] == "query.game"


async def test_a_card_with_its_latest_prices_as_exact_decimals(services, keys):
    async with client(services, keys["ash"]) as api:
        response = await api.get("/v1/cards/sv8-238")
        lower = await api.get("/v1/cards/op05-119")
    body = response.json()
    assert body["card"]["name"] == "Pikachu ex" and body["card"]["set"]["name"] == "Surging Sparks"
    line = next(p for p in body["prices"] if p["source"] == "tcgcsv" and p["variant"] == "")
    assert line["market"] == "289.99" and line["currency"] == "USD" and line["as_of"].endswith("Z")
    assert lower.status_code == 200 and lower.json()["card"]["id"] == "OP05-119"


async def test_an_unknown_card_is_a_404_with_suggestions(services, keys):
    async with client(services, keys["ash"]) as api:
        error = error_of(await api.get("/v1/cards/pikachu-ex-238"), 404, "not_found")
        history = error_of(await api.get("/v1/cards/zz-1/prices/history"), 404, "not_found")
    assert "/v1/cards/search" in error["message"] and "sv8-238" in error["details"]["suggestions"]
    assert "zz-1" in history["message"]


async def test_price_history_with_statistics(services, keys):
    async with client(services, keys["ash"]) as api:
        body = (await api.get("/v1/cards/sv3pt5-199/prices/history", params={"period": "all"})).json()
        bad_period = await api.get("/v1/cards/sv3pt5-199/prices/history", params={"period": "2w"})
        bad_source = await api.get("/v1/cards/sv3pt5-199/prices/history", params={"source": "nowhere"})
        no_data = await api.get("/v1/cards/sv3pt5-199/prices/history", params={"source": "ebay"})
        bad_condition = await api.get("/v1/cards/sv3pt5-199/prices/history", params={"condition": "mint-ish"})
        graded = (await api.get("/v1/cards/sv3pt5-199/prices/history", params={"condition": "PSA 10"})).json()
    series = body["series"][0]
    assert body["card_id"] == "sv3pt5-199" and body["period"] == "all"
    assert series["source"] == "tcgcsv" and series["currency"] == "USD" and series["points"]
    assert series["summary"]["current"] == series["points"][-1]["market"]
    assert series["summary"]["ath"]["price"] and series["summary"]["trend"] in ("up", "down", "flat", "unknown")
    assert error_of(bad_period, 422, "validation_error")["details"][0]["field"] == "query.period"
    assert error_of(bad_source, 422, "validation_error")["details"][0]["field"] == "query.source"
    assert "No ebay prices here yet. Sources with prices: tcgcsv." in error_of(no_data, 404, "not_found")["message"]  # none collected from eBay
    assert error_of(bad_condition, 422, "validation_error")["details"][0]["field"] == "query.condition"
    assert graded["series"] == []  # no graded prices in the sample: empty, not an error


async def test_chart_png_with_etag_revalidation(services, keys):
    async with client(services, keys["ash"]) as api:
        response = await api.get("/v1/cards/sv3pt5-199/chart.png", params={"period": "1y", "theme": "light"})
        again = await api.get("/v1/cards/sv3pt5-199/chart.png", params={"period": "1y", "theme": "light"},
                              headers={"If-None-Match": response.headers["etag"]})
        bad_theme = await api.get("/v1/cards/sv3pt5-199/chart.png", params={"theme": "neon"})
        one_finish = await api.get("/v1/cards/sv3pt5-4/chart.png", params={"finish": "reverse_holofoil"})
        every_finish = await api.get("/v1/cards/sv3pt5-4/chart.png")
    assert one_finish.status_code == every_finish.status_code == 200 and one_finish.content != every_finish.content
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n" and len(response.content) <= 200_000
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == response.headers["etag"]
    error_of(bad_theme, 422, "validation_error")


async def test_trending_and_sets(services, keys):
    async with client(services, keys["ash"]) as api:
        trending = (await api.get("/v1/prices/trending", params={"game": "pokemon", "period": "30d"})).json()
        watched = (await api.get("/v1/prices/trending", params={"kind": "most_watched"})).json()
        sets = (await api.get("/v1/sets", params={"game": "pokemon", "limit": 2})).json()
        everything = (await api.get("/v1/sets", params={"limit": 100})).json()
        bad = await api.get("/v1/prices/trending", params={"period": "1y"})
    assert trending["kind"] == "gainers" and isinstance(trending["data"], list)  # one snapshot: nothing moved yet
    assert watched["kind"] == "most_watched"
    assert [s["code"] for s in sets["data"]] == ["sv8", "sv3pt5"] and sets["pagination"]["has_more"] is True
    assert everything["pagination"]["total"] == len(everything["data"]) and not everything["pagination"]["has_more"]
    assert {"pokemon", "onepiece"} == {s["game"] for s in everything["data"]}
    error_of(bad, 422, "validation_error")


async def test_read_endpoints_carry_etag_cache_control_and_gzip(services, keys):
    async with client(services, keys["ash"]) as api:
        first = await api.get("/v1/cards/search", params={"q": "charizard", "limit": 50},
                              headers={"Accept-Encoding": "gzip"})
        again = await api.get("/v1/cards/search", params={"q": "charizard", "limit": 50},
                              headers={"If-None-Match": first.headers["etag"]})
        raw = await api.get("/v1/cards/search", params={"q": "charizard", "limit": 50},
                            headers={"Accept-Encoding": "identity"})
    assert first.headers["content-encoding"] == "gzip" and first.headers["cache-control"] == "private, max-age=60"
    assert len(gzip.compress(raw.content)) < len(raw.content) and "content-encoding" not in raw.headers
    assert again.status_code == 304 and again.headers["x-ratelimit-remaining"]


# ---------------------------------------------------------------- keys


async def test_requests_without_a_valid_key_are_refused(services, keys):
    async with client(services, None) as api:
        missing = error_of(await api.get("/v1/sets"), 401, "unauthorized")
        wrong = error_of(await api.get("/v1/sets", headers={"X-API-Key": "tk_" + "A" * 43}), 401, "unauthorized")
        schema = await api.get("/openapi.json")
    assert "X-API-Key" in missing["message"] and "unknown or revoked" in wrong["message"]
    assert schema.status_code == 200  # the documentation is public


async def test_behind_a_proxy_prefix_the_key_is_still_required(services, keys):
    """A reverse proxy that keeps its prefix (root path /tcg): /tcg/v1/... is a /v1 route and needs a key."""
    transport = httpx.ASGITransport(create_api(services, ApiOptions(), clock=Clock()), root_path="/tcg")
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as api:
        error_of(await api.get("/tcg/v1/sets"), 401, "unauthorized")
        assert (await api.get("/tcg/v1/sets", headers={"X-API-Key": keys["ash"]})).status_code == 200
        refused = await api.post("/tcg/v1/sets", headers={"X-API-Key": keys["ash"]})
        assert error_of(refused, 405, "method_not_allowed") and refused.headers["allow"] == "GET"


async def test_a_revoked_key_stops_working_at_once(services):
    key_id, key = await services.keys.create(ASH, "short-lived")
    async with client(services, key) as api:
        assert (await api.get("/v1/sets")).status_code == 200
        reply = await dispatch(services, COMMANDS["apikey revoke"], Invocation(ASH, {"id": str(key_id)}))
        assert "revoked" in reply.text
        error_of(await api.get("/v1/sets"), 401, "unauthorized")


async def test_unknown_routes_and_methods_use_the_error_format(services, keys):
    async with client(services, keys["ash"]) as api:
        error_of(await api.get("/v1/nothing-here"), 404, "not_found")
        error_of(await api.get("/nothing-here"), 404, "not_found")
        refused = await api.post("/v1/sets")
        error_of(refused, 405, "method_not_allowed")
        assert refused.headers["allow"] == "GET"
        put = await api.put("/v1/alerts/1")
        assert error_of(put, 405, "method_not_allowed") and put.headers["allow"] == "DELETE, GET"


async def test_too_many_alerts_is_a_conflict_and_says_the_limit(services):
    heavy = Caller("console", "collector-of-everything", "C")
    _, key = await services.keys.create(heavy)
    limit = services.alerts.settings.max_rules_per_user
    async with client(services, key) as api:
        for i in range(limit):
            ok = await api.post("/v1/alerts", json={"card_id": "sv8-238", "kind": "above", "threshold": 300 + i})
            assert ok.status_code == 201
        over = await api.post("/v1/alerts", json={"card_id": "sv8-238", "kind": "above", "threshold": 999})
        assert f"the limit is {limit}" in error_of(over, 409, "limit_reached")["message"]


# ---------------------------------------------------------------- alerts


async def test_alert_lifecycle_over_the_api(services, keys):
    async with client(services, keys["ash"]) as api:
        created = await api.post("/v1/alerts", json={"card_id": "sv3pt5-199", "kind": "below", "threshold": 95.5})
        alert = created.json()
        listed = (await api.get("/v1/alerts")).json()
        one = (await api.get(created.headers["location"])).json()
        history = (await api.get(f"/v1/alerts/{alert['id']}/history")).json()
        deleted = await api.delete(f"/v1/alerts/{alert['id']}")
        gone = await api.get(f"/v1/alerts/{alert['id']}")
    assert created.status_code == 201 and created.headers["location"].endswith(f"/v1/alerts/{alert['id']}")
    assert alert["threshold"] == "95.50" and alert["currency"] == "USD" and alert["state"] == "armed"
    assert alert["finish"] == "holofoil" and alert["delivered_to"] == "discord" and alert["active"]
    assert alert["id"] in [a["id"] for a in listed["data"]] and one == alert
    assert history == {"alert_id": alert["id"], "data": [],
                       "pagination": {"limit": 50, "offset": 0, "has_more": False, "total": None}}
    assert deleted.status_code == 204 and deleted.content == b""
    error_of(gone, 404, "not_found")


async def test_alerts_from_chat_and_api_are_the_same_alerts(services, keys):
    chat = await dispatch(services, COMMANDS["alert add"], Invocation(ASH, {"card": "sv8 238", "kind": "above",
                                                                            "value": "400"}))
    chat_id = int(chat.text.split("#")[1].split()[0])
    async with client(services, keys["ash"]) as api:
        listed = (await api.get("/v1/alerts")).json()
        made = (await api.post("/v1/alerts", json={"card_id": "OP05-119", "kind": "pct_move", "percent": -15.5,
                                                   "window_days": 7, "condition": "NM", "currency": "EUR"})).json()
    assert chat_id in [a["id"] for a in listed["data"]]
    in_chat = await dispatch(services, COMMANDS["alert list"], Invocation(ASH, {}))
    assert any(row.startswith(f"#{made['id']} Monkey.D.Luffy · OP05-119") for row in in_chat.rows)
    assert made["percent"] == "-15.50" and made["window_days"] == 7
    assert (made["condition"], made["currency"]) == ("near mint", "EUR")


async def test_nobody_sees_or_changes_another_persons_alerts(services, keys):
    async with client(services, keys["ash"]) as ash, client(services, keys["gary"]) as gary:
        alert = (await ash.post("/v1/alerts", json={"card_id": "sv8-238", "kind": "below", "threshold": 200})).json()
        for response in (await gary.get(f"/v1/alerts/{alert['id']}"), await gary.delete(f"/v1/alerts/{alert['id']}"),
                         await gary.get(f"/v1/alerts/{alert['id']}/history")):
            assert f"No alert #{alert['id']} of yours" in error_of(response, 404, "not_found")["message"]
        assert alert["id"] not in [a["id"] for a in (await gary.get("/v1/alerts")).json()["data"]]
        assert (await ash.get(f"/v1/alerts/{alert['id']}")).status_code == 200  # untouched


async def test_bad_alerts_are_refused_and_nothing_is_stored(services, keys):
    async with client(services, keys["ash"]) as api:
        before = (await api.get("/v1/alerts")).json()["pagination"]["total"]
        cases = [
            ({"card_id": "sv3pt5-199", "kind": "below", "threshold": -5}, 422, "below.threshold"),
            ({"card_id": "sv3pt5-199", "kind": "below", "threshold": 95.123}, 422, "below.threshold"),
            ({"card_id": "sv3pt5-199", "kind": "below", "threshold": "abc"}, 422, "below.threshold"),
            ({"card_id": "sv3pt5-199", "kind": "below"}, 422, "below.threshold"),
            ({"card_id": "sv3pt5-199", "kind": "pct_move", "percent": 0}, 422, "pct_move.percent"),
            ({"card_id": "sv3pt5-199", "kind": "n_day_low", "window_days": 1}, 422, "n_day_low.window_days"),
            ({"card_id": "sv3pt5-199", "kind": "sideways"}, 422, "kind"),
            ({"card_id": "sv3pt5-199", "kind": "below", "threshold": 5, "extra": 1}, 422, "below.extra"),
            ({"card_id": "sv3pt5-199", "kind": "below", "threshold": 5, "finish": "glitter"}, 422, "below.finish"),
            ({"card_id": "sv3pt5-199", "kind": "below", "threshold": 5, "currency": "XYZ"}, 422, "below.currency"),
            ({"card_id": "sv3pt5-199", "kind": "below", "threshold": 5, "cooldown_hours": False}, 422,
             "below.cooldown_hours"),
            ({"card_id": "sv3pt5-199", "kind": "n_day_low", "window_days": "30"}, 422, "n_day_low.window_days"),
            ({"card_id": "no-such-card", "kind": "below", "threshold": 5}, 404, None),
            ({"card_id": "sv3pt5-199", "kind": "below", "threshold": 5, "source": "tcgcvs"}, 422, "below.source"),
        ]
        for body, status, field in cases:
            response = await api.post("/v1/alerts", json=body)
            error = error_of(response, status, "validation_error" if status == 422 else "not_found")
            if field:
                assert error["details"][0]["field"] == field, error
        error_of(await api.post("/v1/alerts", content=b"{not json", headers={"Content-Type": "application/json"}),
                 422, "validation_error")
        error_of(await api.get("/v1/alerts/99999999999"), 422, "validation_error")
        assert (await api.get("/v1/alerts")).json()["pagination"]["total"] == before


# ---------------------------------------------------------------- rate limits


async def test_rate_limits_are_exact_at_the_minute_and_hour_boundaries(services):
    _, key = await services.keys.create(Caller("console", "heavy-user", "Heavy"))
    clock = Clock()
    async with client(services, key, clock) as api:
        for i in range(100):
            clock.now = HOUR + 5 + i * 0.3
            ok = await api.get("/v1/sets", params={"limit": 1})
            assert ok.status_code == 200
        assert ok.headers["x-ratelimit-limit"] == "100" and ok.headers["x-ratelimit-remaining"] == "0"
        burst = await api.get("/v1/sets", params={"limit": 1})  # the 101st in this minute, at :34.7
        error = error_of(burst, 429, "rate_limited")
        assert burst.headers["retry-after"] == "26" and burst.headers["x-ratelimit-reset"] == str(HOUR + 60)
        assert burst.headers["x-ratelimit-remaining"] == "0" and error["details"]["limit"] == 100
        for minute in range(1, 10):
            for i in range(100):
                clock.now = HOUR + minute * 60 + i * 0.3
                assert (await api.get("/v1/sets", params={"limit": 1})).status_code == 200
        clock.now = HOUR + 600.5
        hourly = await api.get("/v1/sets", params={"limit": 1})  # the 1001st in this hour
        error_of(hourly, 429, "rate_limited")
        assert hourly.headers["x-ratelimit-limit"] == "1000" and hourly.headers["retry-after"] == "3000"
        assert hourly.headers["x-ratelimit-reset"] == str(HOUR + 3600)
        clock.now = HOUR + 3600
        fresh = await api.get("/v1/sets", params={"limit": 1})
        assert fresh.status_code == 200 and fresh.headers["x-ratelimit-remaining"] == "99"


# ---------------------------------------------------------------- chat side of keys


async def test_apikey_commands_show_the_key_once_and_list_only_hints(services):
    me = Caller("console", "key-maker", "Maker")
    created = await dispatch(services, COMMANDS["apikey create"], Invocation(me, {"name": "my sheet"}))
    key = created.text.split(": ", 1)[1].split()[0]
    assert key.startswith("tk_") and created.ephemeral and "only this once" in created.text
    listed = await dispatch(services, COMMANDS["apikey list"], Invocation(me, {}))
    assert len(listed.rows) == 1 and "my sheet" in listed.rows[0] and key not in listed.rows[0]
    assert key[:7] in listed.rows[0] and "never used" in listed.rows[0]
    not_mine = await dispatch(services, COMMANDS["apikey revoke"], Invocation(ASH, {"id": created.text.split("#")[1].split(":")[0]}))
    assert "No API key #" in not_mine.message
    bad = await dispatch(services, COMMANDS["apikey revoke"], Invocation(me, {"id": "first"}))
    assert "key number" in bad.message


# ---------------------------------------------------------------- watchlist


async def test_watchlist_over_the_api_is_the_chat_watchlist(services, keys):
    watcher = Caller("telegram", "3003", "Misty")
    _, key = await services.keys.create(watcher)
    async with client(services, key) as api, client(services, keys["gary"]) as other:
        added = await api.post("/v1/watchlist", json={"card_id": "sv8-238"})
        again = await api.post("/v1/watchlist", json={"card_id": "sv8-238"})
        listed = (await api.get("/v1/watchlist")).json()
        bad = await api.post("/v1/watchlist", json={"card_id": "sv8-238", "condition": "shiny"})
        unpriced = await api.post("/v1/watchlist", json={"card_id": "sv8-238", "finish": "reverse_holofoil"})
        not_his = await other.delete(f"/v1/watchlist/{added.json()['id']}")
        in_chat = await dispatch(services, COMMANDS["watchlist"], Invocation(watcher, {}))
        removed = await api.delete(f"/v1/watchlist/{added.json()['id']}")
        gone = await api.delete(f"/v1/watchlist/{added.json()['id']}")
    item = added.json()
    assert added.status_code == 201 and again.status_code == 200 and again.json()["id"] == item["id"]
    assert item["finish"] == "holofoil" and item["condition"] == "raw (market)"
    assert any(p["market"] == "289.99" and p["currency"] == "USD" for p in item["prices"])
    assert [i["id"] for i in listed["data"]] == [item["id"]] and listed["pagination"]["total"] == 1
    error_of(bad, 422, "validation_error")
    assert "has no Reverse Holofoil prices; it is priced as Holofoil" in error_of(unpriced, 404, "not_found")["message"]
    error_of(not_his, 404, "not_found")
    assert any(row.startswith(f"#{item['id']} Pikachu ex") for row in in_chat.rows)
    assert removed.status_code == 204
    error_of(gone, 404, "not_found")


# ---------------------------------------------------------------- failures on our side


class _Broken:
    def __init__(self, real, part: str) -> None:
        self._real, self._part = real, part

    def __getattr__(self, name):
        if name == self._part:
            async def fail(*_args, **_kwargs):
                raise RuntimeError("database is gone")
            return fail
        return getattr(self._real, name)


async def test_our_failures_use_the_error_format_and_reveal_nothing(services, keys):
    from dataclasses import replace

    broken_keys = replace(services, keys=_Broken(services.keys, "authenticate"))
    broken_catalog = replace(services, catalog=_Broken(services.catalog, "index"))
    class _BadSet:  # a set row our response model refuses: our bug, not the caller's bad request
        code, name, series, release_date, printed_total, total = "x", "X", "", None, None, None
        game = type("Game", (), {"value": "yugioh"})()

    class _BadIndex:
        def list_sets(self, game=None):
            return [_BadSet()]

    class _BadCatalog:
        async def index(self):
            return _BadIndex()

    bad_rows = replace(services, catalog=_BadCatalog())
    for broken, status, code in ((broken_keys, 503, "unavailable"), (broken_catalog, 500, "internal_error"),
                                 (bad_rows, 500, "internal_error")):
        api = create_api(broken, ApiOptions(), clock=Clock())
        transport = httpx.ASGITransport(api, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test",
                                     headers={"X-API-Key": keys["ash"]}) as http:
            error = error_of(await http.get("/v1/sets"), status, code)
        assert "database is gone" not in error["message"] and "Traceback" not in error["message"]


async def test_trending_lists_a_real_move_with_exact_prices(tmp_path):
    """A second snapshot moves one card: it tops the gainers with old/new prices as decimal strings."""
    from datetime import timedelta
    from decimal import Decimal

    from core.ingest import IngestUnit, Observation
    from core.mapping import Match, PrintingKey
    from core.models import Finish, utcnow
    from core.prices import Quote

    async with sample_app(tmp_path / "moves.db") as app:
        app_services = services_of(app)
        _, key = await app_services.keys.create(Caller("console", "trader", "T"))
        now = utcnow()  # dated from today, so the test does not age with the bundled sample's dates
        for unit, ts, price in (("before", now - timedelta(days=7, hours=1), "100.00"), ("rise", now - timedelta(hours=1),
                                                                                        "120.00")):
            quote = Quote("tcgcsv", ts, "USD", market=Decimal(price))
            await app.store.ingest(IngestUnit("tcgcsv", unit, ts, [Observation(
                "591238", "Holofoil", "Pikachu ex", "g", Match(PrintingKey("sv8-238", Finish.HOLOFOIL), 1, "t"), quote)]))
        async with client(app_services, key) as api:
            gainers = (await api.get("/v1/prices/trending", params={"period": "7d", "limit": 1})).json()
            losers = (await api.get("/v1/prices/trending", params={"period": "7d", "kind": "losers"})).json()
    top = gainers["data"][0]
    assert top["card_id"] == "sv8-238" and top["card"]["name"] == "Pikachu ex"
    assert (top["old_price"], top["new_price"], top["currency"]) == ("100.00", "120.00", "USD")
    assert top["change_percent"] == "20.00" and top["source"] == "tcgcsv"
    assert (top["finish"], top["variant"], top["condition"]) == ("holofoil", "", "raw (market)")
    assert "sv8-238" not in [row["card_id"] for row in losers["data"]]


async def test_a_price_report_over_the_api_is_the_chat_report(services, keys):
    reporter = Caller("discord", "4004", "Brock")
    _, key = await services.keys.create(reporter)
    async with client(services, key) as api:
        made = await api.post("/v1/reports", json={"card_id": "sv3pt5-199", "note": "the price is the jumbo's"})
        again = await api.post("/v1/reports", json={"card_id": "sv3pt5-199", "note": "jumbo, surely"})
        unknown = await api.post("/v1/reports", json={"card_id": "nope-1"})
        too_long = await api.post("/v1/reports", json={"card_id": "sv8-238", "note": "x" * 301})
        listing = await api.get("/v1/reports")  # reports are for operators: no list here, and the 405 says so
    assert made.status_code == 201 and made.json() == {"id": made.json()["id"], "card_id": "sv3pt5-199", "new": True}
    assert again.status_code == 200 and again.json()["id"] == made.json()["id"] and again.json()["new"] is False
    error_of(unknown, 404, "not_found")
    error_of(too_long, 422, "validation_error")
    assert error_of(listing, 405, "method_not_allowed") and listing.headers["allow"] == "POST"
    [found] = await services.reports.reports()
    assert (found.platform, found.reporter, found.note) == ("discord", "Brock", "jumbo, surely")
