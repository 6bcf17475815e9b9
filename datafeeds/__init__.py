"""Feeds, storage and the ingest of zhongshu: usable without the web app."""
