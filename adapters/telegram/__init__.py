"""Telegram: the shared command catalog for python-telegram-bot 22 (async Application)."""
