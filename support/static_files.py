"""Static files for page views at scale: fingerprinted, precompressed, served by WhiteNoise.

A page view of a site that embeds the widget is the unit of load (docs/performance.md), so
the files it needs must cost the server next to nothing:

- At start the static folder is copied once into a build folder in the instance folder, keyed
  by a digest of its content: each file under its own name and under a fingerprinted name
  (``frame.js`` and ``frame.<content hash>.js``), with gzip and brotli versions next to it.
  A second start with the same files reuses the build; a build is written to a temporary folder
  and renamed into place, so processes sharing the instance folder never see half of one.
- Our own JavaScript and CSS are minified (rjsmin, rcssmin: comments and layout go, names
  stay), JavaScript after the import rewriting, both before the hashing. The browser code is
  many small ES modules with no build step, commented for the people who read them; compressed
  one by one, each pays for its comments and loses the context the others would give, and the
  widget's first load has a budget (bench/widget_size.py).
  Vendored files (``vendor/``, ``*.min.js``) are served as they come.
- ``url_for('static', filename=...)`` yields the fingerprinted URL, which is cached for a year as
  ``immutable``. Relative ES module imports (``import … from "./queue.js"``) are rewritten to the
  fingerprinted names too, so a module graph stays immutable; anything still asked for by its
  plain name (a computed import) is served with a short cache.
- WhiteNoise answers these files (and ``/widget.js``, the loader sites embed by that exact URL,
  with a five-minute cache) before Flask sees the request: no session, no ``Vary: Cookie``, an
  ETag from the content and 304s, ``Content-Encoding`` per ``Accept-Encoding``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from flask import url_for
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

log = logging.getLogger(__name__)

BUILD_FORMAT = "3"  # bump when the build's layout or rewriting changes
IMMUTABLE = "public, max-age=31536000, immutable"
PLAIN_NAME_MAX_AGE = 60  # a file asked for by its plain name may change with the next release
JAVASCRIPT = "application/javascript; charset=utf-8"  # what PROTOCOL §3 names for the loader
LOADER_URL = "/widget.js"
LOADER_FILE = "widget/loader.js"
LOADER_MAX_AGE = 300  # sites embed this exact URL: a new release reaches them within minutes
BEST_BROTLI_UP_TO = 128 * 1024  # larger files (the vendored API docs) get a fast brotli level

# `import x from "./a.js"`, `export {y} from "../b.js"`, `import "./c.js"`, `import("./d.js")`
_RELATIVE_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}/[^"'\s]+)\2""")


@dataclass(frozen=True)
class StaticBuild:
    """A finished build: its folder and the fingerprinted name of every file."""

    folder: Path
    fingerprinted: dict[str, str]  # "widget/frame.js" -> "widget/frame.1a2b3c4d5e6f.js"
    hashes: dict[str, str]  # either name -> the content hash of what is served under it
    imports: dict[str, list[str]]  # a module -> the modules it imports statically

    def url_path(self, filename: str) -> str:
        return self.fingerprinted.get(filename, filename)

    def module_graph(self, entry: str) -> list[str]:
        """Every module ``entry`` loads through static imports, however deep, each once and
        nearest first: what a page names in ``<link rel="modulepreload">`` so the browser
        fetches them all at once instead of one level of imports per round trip."""
        found: dict[str, None] = {}  # an ordered set
        level = [entry]
        while level:
            level = [
                module
                for name in level
                for module in self.imports.get(name, [])
                if module != entry and module not in found
            ]
            found.update(dict.fromkeys(level))
        return list(found)


def _source_files(source: Path) -> list[str]:
    return sorted(
        p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    )


def _digest(source: Path, names: list[str]) -> str:
    digest = hashlib.sha256(BUILD_FORMAT.encode())
    for name in names:
        digest.update(name.encode() + b"\0" + (source / name).read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def _fingerprint(name: str, content: bytes) -> tuple[str, str]:
    content_hash = hashlib.sha256(content).hexdigest()[:12]
    stem, dot, ext = name.rpartition(".")
    hashed = f"{stem}.{content_hash}.{ext}" if dot and "/" not in ext else f"{name}.{content_hash}"
    return hashed, content_hash


class _Fingerprinter:
    """Content hashes for every file, after rewriting relative module imports to fingerprinted
    names (so an importer's hash covers what it imports, as in Django's manifest storage)."""

    def __init__(self, source: Path, names: list[str]) -> None:
        self.source = source
        self.names = set(names)
        self.content: dict[str, bytes] = {}
        self.fingerprinted: dict[str, str] = {}
        self.imports: dict[str, list[str]] = {}
        self._visiting: set[str] = set()

    def run(self) -> None:
        for name in sorted(self.names):
            self.visit(name)

    def visit(self, name: str) -> str:
        """The fingerprinted name of ``name`` (its imports done first); a cycle keeps the plain
        name of the module that closes it."""
        if name in self.fingerprinted:
            return self.fingerprinted[name]
        if name in self._visiting:
            return name
        self._visiting.add(name)
        content = (self.source / name).read_bytes()
        if name.endswith((".js", ".mjs")):
            content = self._rewrite_imports(name, content)
            if _is_ours(name):
                content = _minify(content, rjsmin.jsmin)
        elif name.endswith(".css") and _is_ours(name):
            content = _minify(content, rcssmin.cssmin)
        self.content[name] = content
        self.fingerprinted[name], _ = _fingerprint(name, content)
        self._visiting.discard(name)
        return self.fingerprinted[name]

    def _rewrite_imports(self, name: str, content: bytes) -> bytes:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return content
        folder = posixpath.dirname(name)

        def replace(match: re.Match) -> str:
            keyword, quote, spec = match.groups()
            target = posixpath.normpath(posixpath.join(folder, spec))
            if target not in self.names:
                return match.group(0)
            if not keyword.rstrip().endswith("("):  # not a computed import("…")
                self.imports.setdefault(name, []).append(target)
            hashed = self.visit(target)
            new_spec = posixpath.relpath(hashed, folder or ".")
            if not new_spec.startswith("."):
                new_spec = "./" + new_spec
            return f"{keyword}{quote}{new_spec}{quote}"

        return _RELATIVE_IMPORT.sub(replace, text).encode("utf-8")


def _is_ours(name: str) -> bool:
    """Written here, not vendored (those come minified, with their licence comments)."""
    return not name.startswith("vendor/") and ".min." not in posixpath.basename(name)


def _minify(content: bytes, minifier: Callable[[str], str]) -> bytes:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return content
    return minifier(text).encode("utf-8")


def _compressed_versions(name: str, content: bytes) -> dict[str, bytes]:
    """``.br`` and ``.gz`` versions of ``content``, each only if it saves at least 5% (as
    WhiteNoise's own compressor decides): brotli's best level for the files a page view needs,
    a faster one for multi-megabyte vendored bundles."""
    if not Compressor(quiet=True).should_compress(name) or not content:
        return {}
    quality = 11 if len(content) <= BEST_BROTLI_UP_TO else 5
    versions = {
        ".br": brotli.compress(content, quality=quality),
        ".gz": gzip.compress(content, compresslevel=9, mtime=0),
    }
    return {suffix: data for suffix, data in versions.items() if len(data) <= 0.95 * len(content)}


def _write_file(source: Path, name: str, served_names: set[str], content: bytes, target: Path):
    versions = {"": content, **_compressed_versions(name, content)}
    for served_name in served_names:
        for suffix, data in versions.items():
            path = target / (served_name + suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            shutil.copystat(source / name, path)


def _write_build(source: Path, names: list[str], target: Path) -> None:
    fingerprinter = _Fingerprinter(source, names)
    fingerprinter.run()
    with ThreadPoolExecutor(max_workers=4) as pool:  # brotli and zlib release the GIL
        jobs = [
            pool.submit(
                _write_file,
                source,
                name,
                {name, fingerprinter.fingerprinted[name]},
                fingerprinter.content[name],
                target,
            )
            for name in names
        ]
        for job in jobs:
            job.result()
    hashes = {}
    for name, hashed in fingerprinter.fingerprinted.items():
        hashes[name] = hashes[hashed] = hashlib.sha256(fingerprinter.content[name]).hexdigest()[:16]
    manifest = {
        "fingerprinted": fingerprinter.fingerprinted,
        "hashes": hashes,
        "imports": fingerprinter.imports,
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


def build(source: Path, cache_root: Path) -> StaticBuild:
    """The build of ``source`` under ``cache_root``, made now unless one exists already."""
    names = _source_files(source)
    digest = _digest(source, names)
    earlier = _built_here.get(digest)
    if earlier is not None and (earlier.folder / "manifest.json").is_file():
        return earlier  # another app of this process (tests) built the same files
    target = cache_root / digest
    manifest_path = target / "manifest.json"
    if not manifest_path.is_file():
        cache_root.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_root))
        try:
            _write_build(source, names, scratch)
            os.rename(scratch, target)
            log.info("static files built into %s", target)
        except OSError:
            if not manifest_path.is_file():  # not merely another process finishing first
                raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        _remove_old_builds(cache_root, keep=target)
    manifest = json.loads(manifest_path.read_text())
    _built_here[digest] = StaticBuild(
        target, manifest["fingerprinted"], manifest["hashes"], manifest["imports"]
    )
    return _built_here[digest]


_built_here: dict[str, StaticBuild] = {}  # digest -> build, for apps made later in this process


OLD_BUILD_SECONDS = 7 * 24 * 3600


def _remove_old_builds(cache_root: Path, keep: Path) -> None:
    """Builds of earlier releases, once no process can still be serving them (a week: a
    rolling deploy may run two releases side by side for a while)."""
    now = time.time()
    for folder in cache_root.iterdir():
        if folder != keep and folder.is_dir() and now - folder.stat().st_mtime > OLD_BUILD_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


def _headers_for(static: StaticBuild, immutable_urls: set[str]):
    """WhiteNoise's per-file header hook: the year-long cache for fingerprinted files, the
    loader's own policy, and an ETag from the content (the same in every process)."""

    def add_headers(headers, path: str, url: str) -> None:
        relative = Path(path).relative_to(static.folder).as_posix()
        headers["ETag"] = f'"{static.hashes.get(relative, "")}"'
        headers["X-Content-Type-Options"] = "nosniff"
        if url == LOADER_URL:
            headers["Cache-Control"] = f"public, max-age={LOADER_MAX_AGE}"
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        elif url in immutable_urls:
            headers["Cache-Control"] = IMMUTABLE
        else:
            headers["Cache-Control"] = f"public, max-age={PLAIN_NAME_MAX_AGE}"

    return add_headers


class StaticServing:
    """The build and its WhiteNoise, made on first use: by ``support serve`` before it listens,
    or by the first request or ``url_for('static', …)``. Commands that serve nothing
    (``create-agent``, ``purge``, tests that only call services) never build."""

    def __init__(self, app) -> None:
        self.app, self.next_app = app, app.wsgi_app
        self._build: StaticBuild | None = None
        self._whitenoise: WhiteNoise | None = None
        self._lock = threading.Lock()

    def build(self) -> StaticBuild:
        if self._build is None:
            with self._lock:
                if self._build is None:
                    self._whitenoise, self._build = self._make()
        return self._build

    def _make(self) -> tuple[WhiteNoise, StaticBuild]:
        app = self.app
        static = build(Path(app.static_folder), Path(app.instance_path) / "static-build")
        prefix = app.static_url_path.rstrip("/") + "/"
        immutable_urls = {prefix + hashed for hashed in static.fingerprinted.values()}
        whitenoise = WhiteNoise(
            self.next_app,
            max_age=PLAIN_NAME_MAX_AGE,
            add_headers_function=_headers_for(static, immutable_urls),
            mimetypes={".js": JAVASCRIPT, ".mjs": JAVASCRIPT},
        )
        whitenoise.add_files(str(static.folder), prefix=prefix)
        whitenoise.files.pop(prefix + "manifest.json", None)
        whitenoise.add_file_to_dictionary(LOADER_URL, str(static.folder / LOADER_FILE))
        return whitenoise, static

    def __call__(self, environ, start_response):
        if self._whitenoise is None:
            self.build()
        return self._whitenoise(environ, start_response)


def init_app(app) -> StaticServing:
    """Serve the built static files (and ``/widget.js``) through WhiteNoise in front of the
    app, and make ``url_for('static', …)`` return fingerprinted URLs."""
    serving = StaticServing(app)
    app.wsgi_app = serving

    @app.url_defaults
    def fingerprinted_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = serving.build().url_path(values["filename"])

    @app.template_global()
    def module_preloads(entry: str) -> list[str]:
        """The URLs of every module ``entry`` imports statically (``StaticBuild.module_graph``)."""
        return [url_for("static", filename=name) for name in serving.build().module_graph(entry)]

    app.extensions["support.static"] = serving
    return serving


def prepare(app) -> StaticBuild:
    """Build now (``support serve``, so the first visitor does not wait for it)."""
    return app.extensions["support.static"].build()
