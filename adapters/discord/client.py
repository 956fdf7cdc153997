"""The Discord client: the command tree, syncing, sharding, and the alert notifier."""
from __future__ import annotations

import hashlib
import logging

import discord
from discord import app_commands

from adapters.commands import Services
from adapters.discord.commands import bind
from adapters.discord.render import alert_embed
from core.alerts import AlertMessage
from core.delivery import DeliveryFailed, DeliveryRefused

log = logging.getLogger(__name__)


def make_client(services: Services, *, sync_guild_id: int | None = None, sharded: bool = False,
                shard_count: int | None = None, shard_ids: list[int] | None = None,
                application_id: int | None = None) -> discord.Client:
    base = discord.AutoShardedClient if sharded else discord.Client
    extra: dict = {}
    if sharded and shard_count:
        extra["shard_count"] = shard_count
    if sharded and shard_ids:
        extra["shard_ids"] = shard_ids  # several processes each run their share of the shards

    class TrackerClient(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            # Slash commands need no privileged intents; the bot never reads message content. Replies echo what
            # people typed ("No card matches “@everyone”"): no message of the bot may ever ping anyone.
            super().__init__(intents=discord.Intents.none(), application_id=application_id,
                             allowed_mentions=discord.AllowedMentions.none(), **extra)
            self.tree = app_commands.CommandTree(self)
            self.binder = bind(self.tree, services)

        async def setup_hook(self) -> None:
            if sync_guild_id:  # development: commands show up at once in one server
                guild = discord.Object(id=sync_guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
            else:
                synced = await self.tree.sync()
            log.info("synced %d Discord commands (%s)", len(synced), f"guild {sync_guild_id}" if sync_guild_id else "global")

    return TrackerClient()


def nonce_for(dedup_key: str) -> int:
    """A stable message nonce per outbox event: a re-sent alert carries the same one."""
    return int(hashlib.sha256(dedup_key.encode()).hexdigest()[:15], 16)


class DiscordNotifier:
    """Alerts to DMs (rules) and channels (feeds); Forbidden/NotFound are permanent refusals.
    Rate limits (429) are waited out inside discord.py's HTTP client, so nothing is lost to them."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def send(self, target_id: str, message: AlertMessage) -> None:
        try:
            if message.kind == "feed":
                channel = self.client.get_partial_messageable(int(target_id))
            else:
                channel = await self.client.create_dm(discord.Object(id=int(target_id)))
            await channel.send(embed=alert_embed(message), nonce=nonce_for(message.dedup_key))
        except discord.Forbidden as err:
            raise DeliveryRefused(f"{err.text or 'forbidden'} (code {err.code})") from err
        except discord.NotFound as err:
            raise DeliveryRefused(f"user or channel not found (code {err.code})") from err
        except discord.HTTPException as err:
            raise DeliveryFailed(f"Discord HTTP {err.status}: {err.text}") from err
