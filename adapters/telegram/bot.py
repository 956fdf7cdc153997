"""The shared catalog as a python-telegram-bot Application: commands with free-text arguments (asking
for missing ones), inline keyboards with signed callback data, inline mode, admin-checked feeds."""
from __future__ import annotations

import hashlib
import hmac
import logging
from collections import OrderedDict
from dataclasses import dataclass

from telegram import (
    BotCommand,
    ChatMember,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from adapters.command_base import card_reply
from adapters.commands import COMMANDS, Invocation, Services, choice_invocation, dispatch, unknown_command
from adapters.replies import ChartReply, ChoiceReply, FileReply, ListReply, Reply
from adapters.telegram.render import CHOICE_BUTTONS, button_label, e, list_pages, text_of
from core.alert_service import Caller

log = logging.getLogger(__name__)
CHOICE_KEEPS = 1000  # card-choice messages whose options are remembered
GROUPS = ("alert", "feed", "apikey")  # /alert add ..., /feed list ...
PROMPTS = {"card": "Which card? Reply with a name, a set and number (sv3pt5 199) or an id (OP05-119).",
           "query": "What should I look for?", "id": "Which number?"}


@dataclass(frozen=True)
class Signer:
    """Callback data is ours only if its HMAC checks out; it also names the user allowed to press."""

    key: bytes

    def sign(self, *parts: str) -> str:
        body = "|".join(parts)
        return f"{body}|{hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()[:10]}"

    def verify(self, data: str) -> list[str] | None:
        body, _, mac = (data or "").rpartition("|")
        good = hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()[:10]
        return body.split("|") if body and hmac.compare_digest(mac, good) else None


def caller_of(update: Update, admin: bool = False) -> Caller:
    user, chat = update.effective_user, update.effective_chat
    group = chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP, ChatType.CHANNEL)
    return Caller("telegram", str(user.id if user else chat.id), (user.full_name if user else chat.title) or "",
                  channel_id=str(chat.id) if group else None, is_channel_admin=admin)


class TelegramBot:
    def __init__(self, services: Services, signer: Signer) -> None:
        self.services = services
        self.signer = signer
        # A card button's callback data holds 64 bytes, too few for the command's other options ("below 80
        # EUR", a period): they wait here, by the message that carries the buttons. Bounded; a restart loses
        # them and the chosen card then runs with the command's defaults.
        self._choice_keeps: OrderedDict[tuple[int, int], dict[str, str]] = OrderedDict()

    # ------------------------------------------------------------ commands

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        name = message.text.split()[0][1:].split("@")[0].lower()
        words = list(context.args or [])
        if name in GROUPS:
            sub = words.pop(0).lower() if words else "list"
            name = f"{name} {sub}"
        command = COMMANDS.get(name)
        if command is None:
            await message.reply_text(f"⚠️ {e(unknown_command(name))}", parse_mode=ParseMode.HTML)
            return
        text = " ".join(words)
        args = command.parse(text)
        first = command.params[0] if command.params else None
        if first is not None and first.required and first.name not in args:
            context.user_data["pending"] = name  # ask, then finish with the reply
            await message.reply_text(PROMPTS.get(first.kind if first.kind in PROMPTS else first.name, f"{first.help}?"),
                                     reply_markup=ForceReply(selective=True))
            return
        await self.run(update, context, name, args)

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The answer to a question we asked for a missing argument."""
        name = context.user_data.pop("pending", None)
        if name is None:
            return
        await self.run(update, context, name, COMMANDS[name].parse(update.effective_message.text or ""))

    async def run(self, update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, args: dict[str, str]) -> None:
        chat = update.effective_chat
        if COMMANDS[name].private_only and chat is not None and chat.type != ChatType.PRIVATE:
            await context.bot.send_message(chat.id, f"🔒 /{e(name)} answers with a secret: send it to me in a "
                                                    "private chat.", parse_mode=ParseMode.HTML)
            return
        admin = name.startswith("feed ") and await self.is_admin(update, context)
        reply = await dispatch(self.services, COMMANDS[name], Invocation(caller_of(update, admin), args))
        await self.send(update, context, reply, name)

    async def is_admin(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        chat, user = update.effective_chat, update.effective_user
        if chat is not None and chat.type == ChatType.CHANNEL and update.channel_post is not None:
            return True  # only a channel's administrators can post in it
        if chat is None or user is None or chat.type == ChatType.PRIVATE:
            return False
        member = await context.bot.get_chat_member(chat.id, user.id)
        return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)

    async def send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, name: str) -> None:
        chat_id = update.effective_chat.id
        if isinstance(reply, ChartReply):
            await context.bot.send_photo(chat_id, photo=reply.png, caption=text_of(reply), parse_mode=ParseMode.HTML)
            return
        if isinstance(reply, FileReply) and update.effective_user:  # exports go to the person, never a group
            await context.bot.send_document(update.effective_user.id, document=reply.data, filename=reply.filename,
                                            caption=e(reply.caption), parse_mode=ParseMode.HTML)
            return
        markup = None
        text = text_of(reply)
        uid = str(update.effective_user.id if update.effective_user else update.effective_chat.id)
        if isinstance(reply, ChoiceReply):
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(
                button_label(c), callback_data=self.signer.sign("c", uid, name, c.canonical_id))]
                for c in reply.choices[:CHOICE_BUTTONS]])
        elif isinstance(reply, ListReply):
            pages = list_pages(reply)
            rows = []
            if len(pages) > 1:
                rows.append([InlineKeyboardButton("Next ▶", callback_data=self.signer.sign("p", uid, name, "1"))])
            if name == "alert list":
                for rule in (await self.services.alerts.rules(caller_of(update)))[:10]:
                    rows.append([
                        InlineKeyboardButton(f"Pause #{rule.id}", callback_data=self.signer.sign("a", uid, "pause", str(rule.id))),
                        InlineKeyboardButton(f"Remove #{rule.id}", callback_data=self.signer.sign("a", uid, "remove", str(rule.id))),
                    ])
            markup = InlineKeyboardMarkup(rows) if rows else None
        sent = await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                              link_preview_options=None)
        if isinstance(reply, ChoiceReply) and reply.keep:
            self._choice_keeps[(chat_id, sent.message_id)] = reply.keep
            while len(self._choice_keeps) > CHOICE_KEEPS:
                self._choice_keeps.popitem(last=False)

    # ------------------------------------------------------------ buttons

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        parts = self.signer.verify(query.data or "")
        if parts is None:
            await query.answer("That button is not valid any more.", show_alert=True)
            return
        action, uid = parts[0], parts[1]
        if uid != str(query.from_user.id):
            await query.answer("Only the person who asked can use these buttons.", show_alert=True)
            return
        caller = caller_of(update)
        if action == "c":  # a card was chosen: run the command on it
            keep = self._choice_keeps.pop((query.message.chat.id, query.message.message_id), {}) if query.message else {}
            reply = await dispatch(self.services, COMMANDS[parts[2]], choice_invocation(caller, parts[3], keep))
            await query.answer()
            if isinstance(reply, ChartReply):
                await context.bot.send_photo(query.message.chat.id, photo=reply.png, caption=text_of(reply),
                                             parse_mode=ParseMode.HTML)
            else:
                await query.edit_message_text(text_of(reply), parse_mode=ParseMode.HTML)
        elif action == "p":  # a page of a list: re-run the (deterministic) list command
            reply = await dispatch(self.services, COMMANDS[parts[2]], Invocation(caller, {}))
            pages = list_pages(reply) if isinstance(reply, ListReply) else [text_of(reply)]
            page = min(int(parts[3]), len(pages) - 1)
            buttons = []
            if page > 0:
                buttons.append(InlineKeyboardButton("◀ Previous", callback_data=self.signer.sign("p", uid, parts[2], str(page - 1))))
            if page < len(pages) - 1:
                buttons.append(InlineKeyboardButton("Next ▶", callback_data=self.signer.sign("p", uid, parts[2], str(page + 1))))
            await query.answer()
            await query.edit_message_text(pages[page], parse_mode=ParseMode.HTML,
                                          reply_markup=InlineKeyboardMarkup([buttons]) if buttons else None)
        elif action == "a":  # alert actions; the core checks ownership again
            rule_id = int(parts[3])
            try:
                if parts[2] == "pause":
                    await self.services.alerts.pause_rule(caller, rule_id)
                else:
                    await self.services.alerts.remove_rule(caller, rule_id)
            except LookupError as err:
                await query.answer(str(err).strip("'\""), show_alert=True)
                return
            await query.answer(f"Alert #{rule_id} {'paused' if parts[2] == 'pause' else 'removed'}.")

    # ------------------------------------------------------------ inline mode

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """@bot charizard 151: matching cards with thumbnail and price; picking one posts its price card."""
        text = (update.inline_query.query or "").strip()
        if len(text) < 2:
            await update.inline_query.answer([], cache_time=5)
            return
        index = await self.services.catalog.index()
        results = []
        for card in index.search(text).ranked[:10]:
            card_view = await card_reply(self.services, card)
            best = card_view.lines[0].market if card_view.lines else "no price yet"
            card_set = index.set_of(card)
            results.append(InlineQueryResultArticle(
                id=card.canonical_id[:64], title=f"{card.name} · {card_set.name if card_set else card.set_code} · {card.display_number}",
                description=f"{card.rarity or ''} · {best}".strip(" ·"), thumbnail_url=card.image_url,
                input_message_content=InputTextMessageContent(text_of(card_view), parse_mode=ParseMode.HTML)))
        await update.inline_query.answer(results, cache_time=60)

    async def on_unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        name, _, to = (message.text or "/").split()[0][1:].partition("@")
        if to and to.lower() != (context.bot.username or "").lower():
            return  # in a group, another bot's command: not ours to answer
        name = name.lower()[:32]
        await message.reply_text(f"⚠️ {e(unknown_command(name))}", parse_mode=ParseMode.HTML)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, "⚠️ Something went wrong on our side; it is logged.")


def menu() -> list[BotCommand]:
    names = dict.fromkeys(c.name.split()[0] for c in COMMANDS.values())
    helps = {"alert": "your price alerts: add, list, remove, history", "feed": "price feeds of this chat (admins)",
             "apikey": "keys for the HTTP API: create, list, revoke",
             "start": "what this bot does"}
    return [BotCommand("start", helps["start"])] + [
        BotCommand(n, helps.get(n) or COMMANDS[n].help) for n in names]


def build_application(services: Services, token: str, *, base_url: str | None = None,
                      request: BaseRequest | None = None, updates_request: BaseRequest | None = None,
                      rate_limit: bool = True) -> Application:
    builder = Application.builder().token(token)
    if base_url:  # a self-hosted Bot API server, or a test server
        builder = builder.base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot"))
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request or request)
    if rate_limit:  # stays under Telegram's flood limits; waits out RetryAfter
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    application = builder.build()
    bot = TelegramBot(services, Signer(hashlib.sha256(f"tcg:{token}".encode()).digest()))
    application.bot_data["tracker"] = bot
    names = sorted({c.split()[0] for c in COMMANDS} | {"start"})
    application.add_handler(CommandHandler("start", _start))
    application.add_handler(CommandHandler([n for n in names if n != "start"], bot.on_command))
    # Channels: posts come from the channel itself, and only its admins can post there.
    application.add_handler(CommandHandler("feed", bot.on_command, filters=filters.UpdateType.CHANNEL_POST))
    application.add_handler(CallbackQueryHandler(bot.on_callback))
    application.add_handler(InlineQueryHandler(bot.on_inline))
    application.add_handler(MessageHandler(filters.REPLY & filters.TEXT & ~filters.COMMAND, bot.on_reply))
    application.add_handler(MessageHandler(filters.COMMAND, bot.on_unknown))
    application.add_error_handler(bot.on_error)
    return application


async def start_telegram(application: Application, *, webhook: dict | None = None) -> None:
    """Initialise, publish the command menu, and receive updates by long polling (default) or webhook
    (`webhook`: listen, port, url_path, webhook_url, secret_token). Inside the caller's event loop."""
    await application.initialize()
    await application.bot.set_my_commands(menu())  # Telegram shows these in its menu
    await application.start()
    if webhook:
        await application.updater.start_webhook(**webhook)
    else:
        await application.updater.start_polling(poll_interval=0.0, timeout=20, drop_pending_updates=False)


async def stop_telegram(application: Application) -> None:
    if application.updater and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(
        "Hi! I track Pokémon and One Piece card prices. Try /price charizard ex 151, /chart sv3pt5 199 1y, "
        "/alert add sv8 238 below 250. /help lists everything; type @ and my name in any chat to share a price.")


def bound_names(application: Application) -> set[str]:
    names: set[str] = set()
    for handler in application.handlers[0]:
        if isinstance(handler, CommandHandler):
            names.update(handler.commands)
    return {c for c in COMMANDS if c.split()[0] in names}
