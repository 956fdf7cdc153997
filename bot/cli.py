"""Command line: `tcgtracker <command>`. Every command takes --json for machine-readable output."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, Callable, Coroutine

from bot import cli_history, cli_prices, output
from bot.app import build_app
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.service import services_of
from core.models import Game
from core.search import NotFound, SearchFilters

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tcgtracker", description="Pokémon and One Piece card price tracker")
    parser.add_argument("--config", help="TOML config file (default: $TCGTRACKER_CONFIG or ./config.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    migrate = commands.add_parser("migrate", help="upgrade the database schema to the newest revision")
    _json_flag(migrate).set_defaults(handler=cmd_migrate)

    catalog = commands.add_parser("catalog", help="card catalog maintenance")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    imp = catalog_commands.add_parser("import", help="import pokemontcg.io and/or official One Piece card lists")
    imp.add_argument("--pokemon", type=Path, help="pokemontcg.io data folder, its cards/en folder, or one card file")
    imp.add_argument("--onepiece", type=Path, help="official One Piece card list folder (packs.json + data/)")
    _json_flag(imp).set_defaults(handler=cmd_catalog_import)

    search = commands.add_parser("search", help="find cards: names, set + number, One Piece ids")
    search.add_argument("query")
    search.add_argument("--game", choices=[g.value for g in Game])
    search.add_argument("--set", dest="set_code", help="set id or code (sv3pt5, OP05)")
    search.add_argument("--rarity")
    search.add_argument("--limit", type=int, default=None)
    _json_flag(search).set_defaults(handler=cmd_search)

    cli_prices.add_commands(commands, _json_flag)
    cli_history.add_commands(commands, _json_flag)

    chat = commands.add_parser("chat", help="the bot's commands in this terminal (alerts print as they fire)")
    chat.add_argument("--user", default=None, help="who you are in the console (default: your login name)")
    chat.add_argument("--charts", default="demo-out", help="where /chart writes PNGs")
    chat.set_defaults(handler=cmd_chat, json=False)

    run = commands.add_parser("run", help="run the service until SIGINT/SIGTERM (all roles by default)")
    run.add_argument("--role", help="comma-separated: collector,evaluator,deliverer,discord,telegram,api")
    _json_flag(run).set_defaults(handler=cmd_run)

    demo = commands.add_parser("demo", help="offline demo: import, 90 days of collection, alerts, charts")
    demo.add_argument("--out", default="demo-out", help="where the charts go (default ./demo-out)")
    demo.add_argument("--db", default="data/demo.db", help="the demo's own SQLite file, recreated each run")
    _json_flag(demo).set_defaults(handler=cmd_demo)
    return parser


def _json_flag(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    _configure_logging(settings)
    try:
        return asyncio.run(args.handler(args, settings))
    except KeyboardInterrupt:
        return 130
    except (FileNotFoundError, ValueError, LookupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - the last line of defence: one readable line, details in the log
        logging.getLogger("tcgtracker").debug("unexpected failure", exc_info=True)
        print(f"error: unexpected {type(err).__name__}: {err} (run with TCGTRACKER_LOGGING__LEVEL=DEBUG for details)",
              file=sys.stderr)
        return 1


def _configure_logging(settings: Settings) -> None:
    configure_logging(settings.logging.level, settings.logging.format)


async def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from storage import migrate

    async with build_app(settings, migrate_now=True) as app:
        revision = await migrate.current_revision(app.engine)
    output.emit(args.json, {"revision": revision}, f"Database is at revision {revision}.")
    return 0


async def cmd_catalog_import(args: argparse.Namespace, settings: Settings) -> int:
    if args.pokemon is None and args.onepiece is None:
        print("error: give --pokemon PATH and/or --onepiece PATH", file=sys.stderr)
        return 2
    for path in (args.pokemon, args.onepiece):
        if path is not None and not path.exists():
            print(f"error: {path} does not exist", file=sys.stderr)
            return 2
    async with build_app(settings) as app:
        reports = await app.catalog.import_files(args.pokemon, args.onepiece)
    output.emit(args.json, [output.report_dict(r) for r in reports], output.reports_text(reports))
    return 0


async def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    filters = SearchFilters(Game(args.game) if args.game else None, args.set_code, args.rarity)
    async with build_app(settings) as app:
        index = await app.catalog.index()
        result = index.search(args.query, filters, args.limit or settings.search.max_results)
    items = output.search_items(index, result)
    output.emit(args.json, items, output.search_text(result, items, "--limit N or a set or number"))
    return 1 if isinstance(result.outcome, NotFound) else 0


async def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from adapters.console.chat import run_console
    from core.alert_service import Caller

    caller = Caller("console", args.user or getpass.getuser(), args.user or getpass.getuser())

    async def read() -> str | None:
        try:
            return await asyncio.to_thread(input, "> ")
        except EOFError:
            return None

    async with build_app(settings) as app:
        async def deliver_forever() -> None:
            while True:
                await app.deliverer.drain()
                await asyncio.sleep(settings.delivery.interval_seconds)

        delivery = asyncio.create_task(deliver_forever())
        try:
            await run_console(services_of(app), caller, read, print, Path(args.charts))
        finally:
            delivery.cancel()
    return 0


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Until SIGINT/SIGTERM; the current ingest unit commits or rolls back as a whole, never half."""
    from bot.service import install_signal_handlers, run_service

    stop = asyncio.Event()
    install_signal_handlers(stop)
    roles = [r.strip() for r in args.role.split(",")] if args.role else None
    await run_service(settings, roles, stop)
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """The main job offline: catalog, 90 days of collection through the real source path, alerts to the
    console, charts to ./demo-out/, then a few answers users would ask for."""
    from bot.demo import demo_settings_for, run_demo

    out_dir = Path(args.out)
    settings = demo_settings_for(settings, Path(args.db))
    lines: list[str] = []
    write = (lambda text: lines.append(text)) if args.json else print
    if not args.json:
        print("Replaying 90 days of prices from the bundled sample (offline); alerts print as they fire:\n")
    summary = await run_demo(settings, out_dir, write)
    async with build_app(settings) as app:
        index = await app.catalog.index()
        answers = {q: output.search_items(index, index.search(q)) for q in DEMO_QUERIES}
        charizard = await app.prices.prices_for(index.get("sv3pt5-199"))
    if args.json:
        output.emit(True, {
            "imported": [output.report_dict(r) for r in summary["imported"]],
            "alerts_delivered": len(summary["alerts"]), "charts": summary["charts"],
            "collect": summary["last_collect"].as_dict(), "searches": answers,
            "price": output.prices_dict(charizard, index.set_of(charizard.card)),
        }, "")
        return 0
    print("\n" + output.reports_text(summary["imported"]))
    print(f"collected {summary['days']} daily snapshots; {len(summary['alerts'])} alerts delivered to the console")
    for query, items in answers.items():
        print(f"\n> search {query}")
        print(output.table(items[:5]) if items else "  (no match)")
    print("\n> price sv3pt5 199")
    print(output.prices_text(charizard, index.set_of(charizard.card)))
    print("\ncharts: " + ", ".join(summary["charts"]))
    print(f"database: {args.db} — try: TCGTRACKER_DATABASE__URL=sqlite+aiosqlite:///{args.db} "
          f"tcgtracker history \"pikachu 238/191\" --period 3m")
    return 0


DEMO_QUERIES = ("charizard ex 151", "sv3pt5 199", "OP05-119", "pikachu 238/191", "charzard")
