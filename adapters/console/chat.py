"""Console adapter: read "/command args" lines, render replies as plain text, write charts to files."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Awaitable, Callable

from adapters.commands import COMMANDS, Invocation, Services, dispatch, unknown_command
from adapters.replies import CardReply, ChartReply, ChoiceReply, ErrorReply, FileReply, ListReply, Reply, TextReply
from core.alert_service import Caller

MAX_LINE = 1000
log = logging.getLogger(__name__)


def split_command(line: str) -> tuple[str, str] | None:
    """'/alert add sv3pt5 199 below 95' -> ('alert add', 'sv3pt5 199 below 95'); None if not a command."""
    line = line.strip()
    if not line.startswith("/"):
        return None
    words = line[1:].split(maxsplit=2)
    if not words:
        return None
    if len(words) >= 2 and f"{words[0]} {words[1]}".lower() in COMMANDS:
        return f"{words[0]} {words[1]}".lower(), words[2] if len(words) > 2 else ""
    return words[0].lower(), line[1:][len(words[0]):].strip()


def _rerun_hint(reply: ChoiceReply) -> str:
    """'/alert add ID psa 10 below 80 EUR': the command as typed again, with everything but the card kept."""
    command = COMMANDS.get(reply.command)
    keep = dict(reply.keep)
    words = [keep.pop(k) for k in ("finish", "condition") if k in keep]  # read back from the card text
    words += [keep[p.name] for p in (command.params[1:] if command else ()) if p.name in keep]
    return " ".join([f"/{reply.command}", "ID", *words])


def render(reply: Reply, chart_dir: Path) -> str:
    if isinstance(reply, ErrorReply):
        tips = "".join(f"\n  - {c.name} · {c.set_code} · {c.display_number} ({c.canonical_id})" for c in reply.suggestions)
        return f"⚠ {reply.message}" + (f"\n  Did you mean:{tips}" if tips else "")
    if isinstance(reply, ChoiceReply):
        rows = "\n".join(f"  {i}. {c.name} · {c.set_code} · {c.display_number} · {c.rarity or ''} ({c.canonical_id})"
                         for i, c in enumerate(reply.choices, 1))
        which = "its id" if len(reply.choices) == 1 else "one of these ids"
        return f"{reply.heading} Run {_rerun_hint(reply)} with {which}:\n{rows}"
    if isinstance(reply, CardReply):
        head = f"{reply.card.name} · {reply.card_set.name if reply.card_set else reply.card.set_code} · {reply.card.display_number}"
        lines = [f"  {l.printing} · {l.source} · {l.condition}: {l.market or '-'}"
                 + (f" {l.change}" if l.change else "")
                 + f" (low {l.low or '-'}, high {l.high or '-'}) as of {l.as_of[:10]}, {l.age}" for l in reply.lines]
        stats = []
        if reply.stats:
            change = ", ".join(f"{k} {v}" for k, v in reply.stats["change"].items())
            stats.append(f"  history ({reply.stats['series']}): {change}; ATH {reply.stats['ath']}, "
                         f"ATL {reply.stats['atl']}, trend {reply.stats['trend']}")
        return "\n".join([head, *lines, *stats, *(f"  note: {n}" for n in reply.notes)])
    if isinstance(reply, ChartReply):
        chart_dir.mkdir(parents=True, exist_ok=True)
        path = chart_dir / f"{reply.card.canonical_id}.png"
        path.write_bytes(reply.png)
        return f"{reply.caption}: chart written to {path}"
    if isinstance(reply, FileReply):
        chart_dir.mkdir(parents=True, exist_ok=True)
        path = chart_dir / reply.filename
        path.write_bytes(reply.data)
        return f"{reply.caption} Written to {path}"
    if isinstance(reply, ListReply):
        return "\n".join([reply.title, *(f"  {r}" for r in reply.rows)]) if reply.rows else reply.empty
    if isinstance(reply, TextReply):
        return reply.text
    return str(reply)


async def handle_line(services: Services, caller: Caller, line: str, chart_dir: Path) -> str:
    if len(line) > MAX_LINE:
        return f"⚠ That is too long; keep commands under {MAX_LINE} characters."
    parsed = split_command(line)
    if parsed is None:
        return "Commands start with a slash, e.g. /price charizard ex 151. /help lists them."
    name, rest = parsed
    command = COMMANDS.get(name)
    if command is None:
        return f"⚠ {unknown_command(name)}"
    return render(await dispatch(services, command, Invocation(caller, command.parse(rest))), chart_dir)


async def run_console(services: Services, caller: Caller, read: Callable[[], Awaitable[str | None]],
                      write: Callable[[str], None], chart_dir: Path) -> None:
    """The interactive loop; `read` returns None at end of input."""
    write("tcgtracker chat — /help lists commands, Ctrl-D quits.")
    while (line := await read()) is not None:
        if not line.strip():
            continue
        try:
            write(await handle_line(services, caller, line, chart_dir))
        except Exception:  # noqa: BLE001 - one failed command must not end the session
            log.exception("console command failed: %s", line)
            write("⚠ Something went wrong with that command; the details are in the log. Try again or /help.")
