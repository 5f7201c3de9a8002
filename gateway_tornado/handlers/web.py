"""The web client's static files (web/): the app shell at ``/``, its modules under
``/app/``, icons, the PWA manifest and the service worker. Not API routes: no token,
no JSON errors (a missing file is Tornado's plain 404).

Cache headers: the files are not content-hashed (no build step), so every one is
served ``no-cache`` with an ETag (a revalidation costs a 304) except the icons, which
may be kept a day. The service worker keeps its own copy of the shell for offline use.
"""
from __future__ import annotations

from pathlib import Path

import tornado.web

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"
ICON_MAX_AGE = 24 * 3600


class WebFile(tornado.web.StaticFileHandler):
    def set_extra_headers(self, path: str) -> None:
        if path.startswith("icons/"):
            self.set_header("Cache-Control", f"public, max-age={ICON_MAX_AGE}")
        else:
            self.set_header("Cache-Control", "no-cache")
        if path.endswith("sw.js"):
            self.set_header("Service-Worker-Allowed", "/")
        self.set_header("X-Content-Type-Options", "nosniff")

    @classmethod
    def get_content_type_for(cls, path: str) -> str:
        if path.endswith(".webmanifest"):
            return "application/manifest+json"
        if path.endswith((".js", ".mjs")):
            return "text/javascript; charset=utf-8"
        return ""

    def get_content_type(self) -> str:
        return self.get_content_type_for(self.absolute_path) or super().get_content_type()


class Shell(WebFile):
    """index.html, whatever the path: the app reads the path itself."""

    def get(self, path: str = "", include_body: bool = True):
        return super().get("index.html", include_body)


ARGS = {"path": str(WEB_ROOT)}

# (pattern, handler, kwargs): the shell at "/" and at auth's reset_url (the app shows
# the new-password form); everything else is a file under web/.
ROUTES = [
    (r"/()", Shell, ARGS),
    (r"/(reset-password)", Shell, ARGS),
    (r"/((?:app|icons)/[A-Za-z0-9_./-]+|index\.html|sw\.js|manifest\.webmanifest)", WebFile, ARGS),
]
