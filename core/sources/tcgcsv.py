"""tcgcsv.com: daily verbatim caches of TCGplayer's catalog and prices; keyless, the default source."""
from __future__ import annotations

from datetime import datetime, timezone

from core.models import Game
from core.prices import day_start
from core.sources.http import PermanentSourceError, SourceHttp
from core.sources.tcgplayer_shapes import Parsed, TcgGroup, parse_groups, parse_prices, parse_products

BASE_URL = "https://tcgcsv.com"
CATEGORY = {Game.POKEMON: 3, Game.ONE_PIECE: 68}


class TcgcsvSource:
    name = "tcgcsv"
    currency = "USD"

    def __init__(self, http: SourceHttp, base_url: str = BASE_URL, snapshot_day: datetime | None = None) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._snapshot_day = snapshot_day  # backfills of old dumps say which day they are

    async def snapshot_time(self) -> datetime:
        """tcgcsv refreshes once a day; its last-updated stamp names the day a snapshot belongs to."""
        if self._snapshot_day is not None:
            return day_start(self._snapshot_day)
        try:
            text = (await self._http.get_text(f"{self._base}/last-updated.txt")).strip()
        except PermanentSourceError:
            text = ""
        try:
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            stamp = datetime.now(timezone.utc)
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=timezone.utc)
        return day_start(stamp)

    async def groups(self, game: Game) -> list[TcgGroup]:
        return parse_groups(await self._http.get_json(f"{self._base}/tcgplayer/{CATEGORY[game]}/groups")).items

    async def group_data(self, game: Game, group: TcgGroup) -> tuple[Parsed, Parsed]:
        root = f"{self._base}/tcgplayer/{CATEGORY[game]}/{group.group_id}"
        products = parse_products(await self._http.get_json(f"{root}/products"))
        prices = parse_prices(await self._http.get_json(f"{root}/prices"))
        return products, prices
