"""Alerts to Telegram private chats, groups and channels."""
from __future__ import annotations

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from adapters.telegram.render import alert_html
from core.alerts import AlertMessage
from core.delivery import DeliveryFailed, DeliveryRefused

GONE = ("chat not found", "bot was kicked", "user is deactivated", "have no rights", "not enough rights")


class TelegramNotifier:
    """Blocked/kicked -> permanent refusal; RetryAfter -> transient with Telegram's wait (the
    application's AIORateLimiter already paces sends under the flood limits and retries once)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, target_id: str, message: AlertMessage) -> None:
        try:
            await self.bot.send_message(int(target_id), alert_html(message), parse_mode=ParseMode.HTML)
        except Forbidden as err:
            raise DeliveryRefused(f"Telegram: {err.message}") from err
        except RetryAfter as err:
            wait = err.retry_after
            seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
            raise DeliveryFailed(f"Telegram flood control: retry after {seconds:g} s", retry_after=seconds) from err
        except BadRequest as err:
            if any(text in err.message.lower() for text in GONE):
                raise DeliveryRefused(f"Telegram: {err.message}") from err
            raise DeliveryFailed(f"Telegram: {err.message}") from err
        except NetworkError as err:
            raise DeliveryFailed(f"Telegram network error: {err}") from err
