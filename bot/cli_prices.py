"""CLI commands for prices: collect, import-prices, price, mapping, status."""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from bot import output
from bot.app import build_app
from bot.config import Secrets, Settings
from bot.sources import SOURCE_NAMES, limits_of, overrides_of
from core.collect import CollectReport, collect_tcgplayer_like, csv_dump_unit
from core.identity.listings import identify, parse_title
from core.mapping import PrintingKey
from core.models import Finish, Game, utcnow
from core.prices import PRICE_SOURCES, day_start
from core.search import Resolved, SearchFilters
from core.sources import cardmarket
from core.sources.files import FolderTransport
from core.sources.http import SourceHttp
from core.sources.tcgcsv import TcgcsvSource

DUMP_BASE_URL = "http://dump.local"


def add_commands(commands: argparse._SubParsersAction, json_flag) -> None:  # noqa: ANN001
    collect = commands.add_parser("collect", help="collect prices from one source now")
    collect.add_argument("--source", required=True, choices=list(SOURCE_NAMES))
    collect.add_argument("--once", action="store_true", help="run once and exit (the default for this command)")
    collect.add_argument("--force", action="store_true", help="re-apply units the ledger says are done")
    json_flag(collect).set_defaults(handler=cmd_collect)

    imp = commands.add_parser("import-prices", help="backfill prices from downloaded tcgcsv dumps")
    imp.add_argument("--source", required=True, choices=["tcgcsv", "cardmarket"])
    imp.add_argument("path", type=Path, help="tcgcsv: a ProductsAndPrices.csv, a folder of them, or a tcgcsv JSON "
                     "mirror; cardmarket: a price-guide JSON file or a folder of them (searched recursively)")
    imp.add_argument("--date", help="the day the dump is from (YYYY-MM-DD, UTC); default today")
    imp.add_argument("--force", action="store_true")
    json_flag(imp).set_defaults(handler=cmd_import_prices)

    price = commands.add_parser("price", help="latest prices of a card per finish, source and condition")
    price.add_argument("query")
    price.add_argument("--game", choices=[g.value for g in Game])
    json_flag(price).set_defaults(handler=cmd_price)

    mapping = commands.add_parser("mapping", help="source product -> printing mappings")
    actions = mapping.add_subparsers(dest="mapping_command", required=True, metavar="ACTION")
    unmatched = actions.add_parser("unmatched", help="products no printing was found for, with the reason")
    unmatched.add_argument("--source", choices=PRICE_SOURCES)
    unmatched.add_argument("--limit", type=int, default=100)
    json_flag(unmatched).set_defaults(handler=cmd_mapping_unmatched)
    pin = actions.add_parser("set", help="pin a source product to a printing (a manual override)")
    pin.add_argument("source", choices=PRICE_SOURCES)  # a typo must not pin a product of a source that never reports
    pin.add_argument("external_id")
    pin.add_argument("printing", help="CARD_ID[:FINISH[:VARIANT]], e.g. mep-009:holofoil:pokemon_center_exclusive")
    pin.add_argument("--sub-type", help="only this sub-type (TCGplayer subTypeName); default all")
    json_flag(pin).set_defaults(handler=cmd_mapping_set)

    reports = actions.add_parser("reports", help="price reports from users, with the products priced as each card")
    reports.add_argument("--all", action="store_true", help="resolved ones too")
    reports.add_argument("--limit", type=int, default=100)
    json_flag(reports).set_defaults(handler=cmd_mapping_reports)
    resolve = actions.add_parser("resolve", help="close a price report")
    resolve.add_argument("report_id", type=int)
    resolve.add_argument("--note", help="what was done, e.g. pinned 284137 to sv3pt5-199:holofoil:jumbo")
    json_flag(resolve).set_defaults(handler=cmd_mapping_resolve)

    title = commands.add_parser("parse-title", help="what the listing-title parser makes of a marketplace title")
    title.add_argument("title", nargs="?")
    title.add_argument("--file", type=Path, help="one title a line; prints JSON lines")
    json_flag(title).set_defaults(handler=cmd_parse_title)

    status = commands.add_parser("status", help="source health, last snapshots, outbox depth")
    json_flag(status).set_defaults(handler=cmd_status)

    backup = commands.add_parser("backup", help="consistent copy of the SQLite database (pg_dump hint on PostgreSQL)")
    backup.add_argument("path", type=Path)
    json_flag(backup).set_defaults(handler=cmd_backup)


def _day(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError as err:
        raise ValueError(f"--date must look like 2026-11-27, not {raw!r}") from err


async def cmd_collect(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings, secrets=Secrets(), sources={args.source}) as app:
        report = await app.collector.collect(args.source, force=args.force)
    output.emit(args.json, report.as_dict(), output.collect_text(report))
    return 1 if report.errors and not report.counts.units else 0


async def cmd_import_prices(args: argparse.Namespace, settings: Settings) -> int:
    if not args.path.exists():
        print(f"error: {args.path} does not exist", file=sys.stderr)
        return 2
    day = _day(args.date)
    if args.source == "cardmarket":
        return await _import_cardmarket(args, settings)
    cfg = settings.sources.tcgcsv
    csv_files = [args.path] if args.path.is_file() else sorted(args.path.glob("*.csv"))
    if not csv_files and not (args.path / "tcgplayer").is_dir():
        print(f"error: {args.path} holds no ProductsAndPrices .csv files and is not laid out like tcgcsv"
              " (tcgplayer/3/groups, tcgplayer/3/<group>/products ...)", file=sys.stderr)
        return 2
    transport = None if csv_files else FolderTransport(args.path)
    async with build_app(settings, transport=transport, sources=set()) as app:
        index = await app.catalog.index()
        report = CollectReport("tcgcsv")
        if csv_files:
            ts = day_start(day or utcnow())
            report.snapshot = ts
            for path in csv_files:
                unit = csv_dump_unit("tcgcsv", path.name, path.read_bytes(), ts, index, overrides_of(cfg))
                unit.force = args.force
                report.counts.add(await app.store.ingest(unit))
        else:
            http = SourceHttp("tcgcsv", app.http, limits_of(cfg))
            source = TcgcsvSource(http, DUMP_BASE_URL, snapshot_day=day)
            games = [Game(g) for g in cfg.games]
            report = await collect_tcgplayer_like(source, app.store, index, games, overrides_of(cfg), force=args.force)
        await _record_import(app, report)
    output.emit(args.json, report.as_dict(), output.collect_text(report))
    return 0


async def cmd_price(args: argparse.Namespace, settings: Settings) -> int:
    filters = SearchFilters(Game(args.game) if args.game else None)
    async with build_app(settings) as app:
        index = await app.catalog.index()
        result = index.search(args.query, filters)
        if not isinstance(result.outcome, Resolved):
            items = output.search_items(index, result)
            data = {"card": None, "candidates": items,
                    "message": getattr(result.outcome, "message", "Several cards match; pick one by id.")}
            output.emit(args.json, data, output.search_text(result, items))
            return 1  # no price was shown: a script must not read the candidates as an answer
        prices = await app.prices.prices_for(result.outcome.card)
        card_set = index.set_of(prices.card)
    output.emit(args.json, output.prices_dict(prices, card_set), output.prices_text(prices, card_set))
    return 0


async def cmd_mapping_unmatched(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings) as app:
        rows = await app.queries.unmatched(args.source, args.limit)
    output.emit(args.json, [output.slots_dict(r) for r in rows], output.unmatched_text(rows))
    return 0


async def cmd_mapping_reports(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings) as app:
        found = await app.reports.reports(include_resolved=args.all, limit=args.limit)
    output.emit(args.json, [output.slots_dict(r) for r in found], output.price_reports_text(found))
    return 0


async def cmd_mapping_resolve(args: argparse.Namespace, settings: Settings) -> int:
    async with build_app(settings) as app:
        closed = await app.reports.resolve(args.report_id, args.note)
    if not closed:
        print(f"error: no open report #{args.report_id} (tcgtracker mapping reports lists them)", file=sys.stderr)
        return 1
    output.emit(args.json, {"resolved": args.report_id}, f"Report #{args.report_id} resolved.")
    return 0


def parse_printing(raw: str) -> PrintingKey:
    card_id, _, rest = raw.partition(":")
    finish_raw, _, variant = rest.partition(":")
    try:
        finish = Finish(finish_raw or "normal")
    except ValueError as err:
        raise ValueError(f"unknown finish {finish_raw!r}; one of: {', '.join(f.value for f in Finish)}") from err
    if not card_id:
        raise ValueError("give a card id, e.g. sv3pt5-199 or OP05-119_p1")
    return PrintingKey(card_id, finish, variant)


async def cmd_mapping_set(args: argparse.Namespace, settings: Settings) -> int:
    key = parse_printing(args.printing)
    async with build_app(settings) as app:
        if (await app.catalog.index()).get(key.card_id) is None:
            print(f"error: no card {key.card_id} in the catalog", file=sys.stderr)
            return 2
        pinned = await app.queries.set_override(args.source, args.external_id, key, args.sub_type)
    text = f"{args.source} {args.external_id} -> {key.card_id} {key.finish.value} {key.variant}".rstrip()
    output.emit(args.json, {"pinned": pinned, "printing": args.printing}, f"Pinned {text} ({pinned} row(s)).")
    return 0


async def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from storage.outbox_repo import SqlOutbox

    async with build_app(settings) as app:
        health = await app.queries.source_health()
        depth, oldest = await SqlOutbox(app.engine).depth(utcnow())
        reports = await app.reports.open_count()
    data = {"sources": [output.slots_dict(h) for h in health], "outbox": {"waiting": depth, "oldest_seconds": oldest},
            "price_reports": {"open": reports}}
    text = (output.health_text(health) + f"\noutbox: {depth} waiting" + (f", oldest {oldest:.0f} s" if oldest else "")
            + f"\nprice reports: {reports} open" + (" (tcgtracker mapping reports)" if reports else ""))
    output.emit(args.json, data, text)
    return 0


async def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from storage.backup import backup_sqlite, pg_dump_hint, sqlite_path

    source = sqlite_path(settings.database.url)
    if source is None:
        print(pg_dump_hint(settings.database.url, args.path), file=sys.stderr)
        return 2
    if not source.exists():
        print(f"error: no database at {source}", file=sys.stderr)
        return 2
    report = backup_sqlite(source, args.path)
    output.emit(args.json, report, f"Backed up {report['cards']:,} cards and {report['price_points']:,} price points "
                                   f"to {report['path']} ({report['bytes']:,} bytes, integrity ok).")
    return 0



async def cmd_parse_title(args: argparse.Namespace, settings: Settings) -> int:
    if (args.title is None) == (args.file is None):
        print("error: give a TITLE or --file F", file=sys.stderr)
        return 2
    titles = [args.title] if args.file is None else args.file.read_text(encoding="utf-8").splitlines()
    async with build_app(settings) as app:
        index = await app.catalog.index()
        results = [identify(parse_title(t), index) for t in titles if t.strip() or args.file is None]
    if args.file is not None:
        for result in results:
            print(json.dumps(result.as_dict(), ensure_ascii=False))
        return 0
    output.emit(args.json, results[0].as_dict(), output.title_text(results[0]))
    return 0


async def _record_import(app, report: CollectReport) -> None:  # noqa: ANN001 - the wired App
    """`tcgtracker status` then shows the imported day as the source's last snapshot."""
    if report.snapshot is not None and report.counts.units + report.counts.skipped_units:
        await app.queries.record_import(report.source, report.snapshot)


async def _import_cardmarket(args: argparse.Namespace, settings: Settings) -> int:
    files = [args.path] if args.path.is_file() else sorted(args.path.rglob("*.json"))
    payloads = []
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("priceGuides"), list):
            payloads.append(data)
    if not payloads:
        print(f"error: no Cardmarket price guides under {args.path}", file=sys.stderr)
        return 2
    async with build_app(settings, sources=set()) as app:
        index = await app.catalog.index()
        names = cardmarket.product_names(payloads)
        matches = cardmarket.product_keys(names, index)
        report = CollectReport("cardmarket")
        for payload in sorted(payloads, key=lambda p: cardmarket.guide_date(p) or utcnow()):
            unit = cardmarket.guide_unit(payload, names, matches)
            if unit is None:
                continue
            unit.force = args.force
            report.counts.add(await app.store.ingest(unit))
            report.snapshot = unit.snapshot_ts
        await _record_import(app, report)
    output.emit(args.json, report.as_dict(), output.collect_text(report))
    return 0
