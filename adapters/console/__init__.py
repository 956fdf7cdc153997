"""The command catalog in a terminal: used by `tcgtracker chat` and the offline demo."""
