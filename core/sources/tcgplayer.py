"""TCGplayer's own API for key holders: client-credentials token, catalog and group pricing.

Responses have the same shape as tcgcsv's caches, so parsing is shared (core.sources.tcgplayer_shapes)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from core.models import Game
from core.prices import day_start
from core.sources.auth import ClientCredentialsToken
from core.sources.http import AuthExpired, SourceHttp
from core.sources.tcgcsv import CATEGORY
from core.sources.tcgplayer_shapes import Parsed, TcgGroup, parse_groups, parse_prices, parse_products, results

BASE_URL = "https://api.tcgplayer.com"
PAGE = 100


class TcgplayerSource:
    name = "tcgplayer"
    currency = "USD"

    def __init__(self, http: SourceHttp, public_key: str, private_key: str, base_url: str = BASE_URL) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._keys = (public_key, private_key)
        self.token = ClientCredentialsToken(self._fetch_token)

    async def _fetch_token(self) -> tuple[str, float]:
        response = await self._http.request(
            "POST",
            f"{self._base}/token",
            data={"grant_type": "client_credentials", "client_id": self._keys[0], "client_secret": self._keys[1]},
        )
        body = response.json()
        return str(body["access_token"]), float(body.get("expires_in", 3600))

    async def _get(self, path: str, **params: Any) -> Any:
        """Authorized GET; a 401 means the token went stale: refresh once, then try again."""
        for attempt in (1, 2):
            headers = {"Authorization": f"bearer {await self.token.get()}", "Accept": "application/json"}
            try:
                return await self._http.get_json(f"{self._base}{path}", params=params or None, headers=headers)
            except AuthExpired:
                if attempt == 2:
                    raise
                self.token.invalidate()
        raise AssertionError("unreachable")

    async def _paged(self, path: str, **params: Any) -> list[Any]:
        items: list[Any] = []
        offset = 0
        while True:
            page = await self._get(path, offset=offset, limit=PAGE, **params)
            batch = results(page)
            items.extend(batch)
            total = page.get("totalItems", len(items)) if isinstance(page, dict) else len(items)
            offset += PAGE
            if not batch or offset >= total:
                return items

    async def snapshot_time(self) -> datetime:
        return day_start(datetime.now(timezone.utc))

    async def groups(self, game: Game) -> list[TcgGroup]:
        return parse_groups(await self._paged(f"/catalog/categories/{CATEGORY[game]}/groups")).items

    async def group_data(self, game: Game, group: TcgGroup) -> tuple[Parsed, Parsed]:
        products = parse_products(
            await self._paged("/catalog/products", groupId=group.group_id, getExtendedFields="true")
        )
        prices = parse_prices(await self._get(f"/pricing/group/{group.group_id}"))
        return products, prices
