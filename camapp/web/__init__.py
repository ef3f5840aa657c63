"""The browser view: a third front-end over the session (`camapp run --headless --web [HOST:]PORT`).

Nothing here imports Qt, the desktop app or the command line, and nothing outside this package
(and the `run --web` hook) imports it, so the web stack (aiohttp) loads only when asked for.
"""
