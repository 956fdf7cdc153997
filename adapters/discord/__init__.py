"""Discord: the shared command catalog as slash commands (discord.py 2.7), embeds, charts, alerts."""
