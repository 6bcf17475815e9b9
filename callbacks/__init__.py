"""Callbacks of each screen: thin typed functions wired with `register(app)`."""
