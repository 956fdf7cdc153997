"""How people talk to the tracker: Discord, Telegram, console. Each binds the shared command catalog."""
