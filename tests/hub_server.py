"""A local HTTP server imitating the Hugging Face Hub endpoints that huggingface_hub 2.x calls, so the
model download and search are tested without the real Hub:

- `HEAD /` — ferrofix's reachability probe before a search;
- `HEAD|GET /{repo}/resolve/{revision}/{path}` — file metadata (`get_hf_file_metadata`: `X-Repo-Commit`,
  `X-Linked-Etag` = the LFS sha256, `X-Linked-Size`, `ETag` = a git blob id, `Content-Length`) and the bytes
  (`http_get`; `Range: bytes=N-` answered with 206). No Xet headers, so the library downloads over HTTP.
  Errors carry the Hub's `X-Error-Code` (RepoNotFound, RevisionNotFound, EntryNotFound);
- `GET /api/models?search=&filter=gguf&limit=` — `HfApi.list_models`;
- `GET /api/models/{repo}[/revision/{rev}]?blobs=true` — `HfApi.model_info(files_metadata=True)`: siblings
  with `size` and `lfs.sha256`.

`hub` (a pytest fixture; import it into a test module) starts one, points `HF_ENDPOINT` at it and moves
`HF_HOME` (the HF cache and token) into the test's temp dir.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from conftest import serve_http


@dataclass
class FakeRepo:
    """A model repo: commits (sha → {path: bytes}, oldest first), refs ("main" → sha), files that are only
    listed with a size (search results; not downloadable), downloads, likes and tags."""

    id: str
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    listed: dict[str, int] = field(default_factory=dict)
    downloads: int = 0
    likes: int = 0
    tags: list[str] = field(default_factory=lambda: ["gguf"])


class FakeHub:
    """The server and its state. `requests` logs (method, path with query, headers) of every request;
    `drop_after = n` makes the next file GET send n bytes of its body and drop the connection; `corrupt`
    serves bytes that differ from the announced sha256 (same length); `slow_s` sleeps between 1 KiB
    pieces of a file body."""

    def __init__(self) -> None:
        self.repos: dict[str, FakeRepo] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.drop_after: int | None = None
        self.corrupt = False
        self.slow_s = 0.0
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self):
                hub._handle(self, head=True)

            def do_GET(self):
                hub._handle(self, head=False)

        self.server = serve_http(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    # -- state ---------------------------------------------------------------------------------------
    def add(self, repo_id: str, files: dict[str, bytes], *, ref: str = "main", listed: dict[str, int] | None = None,
            downloads: int = 0, likes: int = 0, tags: list[str] | None = None) -> str:
        """Add a commit with `files` to `repo_id` (created when new) and point `ref` at it; returns the
        commit sha (40 hex digits)."""
        r = self.repos.setdefault(repo_id, FakeRepo(repo_id))
        sha = hashlib.sha1(f"{repo_id}@{len(r.commits)}".encode()).hexdigest()
        r.commits[sha] = dict(files)
        r.refs[ref] = sha
        r.listed.update(listed or {})
        r.downloads, r.likes = downloads or r.downloads, likes or r.likes
        if tags is not None:
            r.tags = tags
        return sha

    def file_requests(self, method: str = "GET") -> list[tuple[str, dict[str, str]]]:
        """(path, headers with lower-case names) of the `/resolve/` requests made with `method`."""
        return [(p, h) for m, p, h in self.requests if m == method and "/resolve/" in p]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- HTTP ----------------------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, *, head: bool) -> None:
        self.requests.append(("HEAD" if head else "GET", h.path, {k.lower(): v for k, v in h.headers.items()}))
        url = urlsplit(h.path)
        path, query = unquote(url.path), parse_qs(url.query)
        try:
            if path == "/":
                return self._send(h, 200, b"imitation hub", head=head)
            if path == "/api/models":
                return self._json(h, self._list_models(query), head)
            if path.startswith("/api/models/"):
                rest = path.removeprefix("/api/models/").split("/")
                repo_id, rev = "/".join(rest[:2]), (rest[3] if len(rest) >= 4 and rest[2] == "revision" else "main")
                return self._model_info(h, repo_id, unquote(rev), head)
            parts = path.lstrip("/").split("/")
            if len(parts) >= 5 and parts[2] == "resolve":
                return self._file(h, "/".join(parts[:2]), parts[3], "/".join(parts[4:]), head)
            return self._send(h, 404, b"not found", head=head)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send(self, h, status: int, body: bytes, *, head: bool, headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head:
            h.wfile.write(body)

    def _json(self, h, data, head: bool) -> None:
        self._send(h, 200, json.dumps(data).encode(), head=head, headers={"Content-Type": "application/json"})

    def _error(self, h, status: int, code: str, head: bool, commit: str | None = None) -> None:
        headers = {"X-Error-Code": code, "X-Error-Message": code}
        if commit:
            headers["X-Repo-Commit"] = commit
        self._send(h, status, json.dumps({"error": code}).encode(), head=head, headers=headers)

    def _resolve(self, repo: FakeRepo, rev: str) -> str | None:
        return repo.refs.get(rev) or (rev if rev in repo.commits else None)

    def _list_models(self, q: dict[str, list[str]]) -> list[dict]:
        search = (q.get("search") or [""])[0].lower()
        filters = q.get("filter") or []
        limit = int((q.get("limit") or ["1000"])[0])
        found = [r for r in self.repos.values()
                 if search in r.id.lower() and all(f in r.tags for f in filters)]
        found.sort(key=lambda r: -r.downloads)
        return [{"_id": r.id, "id": r.id, "downloads": r.downloads, "likes": r.likes, "tags": r.tags,
                 "private": False} for r in found[:limit]]

    def _repo_at(self, h, repo_id: str, rev: str, head: bool):
        """(repo, commit sha) for a request, or None after answering the Hub's error (401 for an
        unknown repo, as the Hub does, 404 for an unknown revision)."""
        repo = self.repos.get(repo_id)
        if repo is None:
            self._error(h, 401, "RepoNotFound", head)
            return None
        sha = self._resolve(repo, rev)
        if sha is None:
            self._error(h, 404, "RevisionNotFound", head)
            return None
        return repo, sha

    def _model_info(self, h, repo_id: str, rev: str, head: bool) -> None:
        found = self._repo_at(h, repo_id, rev, head)
        if found is None:
            return
        repo, sha = found
        siblings = [{"rfilename": p, "size": len(b), "blobId": _git_oid(b),
                     "lfs": {"sha256": hashlib.sha256(b).hexdigest(), "size": len(b), "pointerSize": 134}}
                    for p, b in repo.commits[sha].items()]
        siblings += [{"rfilename": p, "size": n, "blobId": "0" * 40,
                      "lfs": {"sha256": hashlib.sha256(p.encode()).hexdigest(), "size": n, "pointerSize": 134}}
                     for p, n in repo.listed.items()]
        self._json(h, {"_id": repo.id, "id": repo.id, "sha": sha, "downloads": repo.downloads, "likes": repo.likes,
                       "tags": repo.tags, "private": False, "siblings": siblings}, head)

    def _file(self, h, repo_id: str, rev: str, path: str, head: bool) -> None:
        found = self._repo_at(h, repo_id, rev, head)
        if found is None:
            return
        repo, sha = found
        data = repo.commits[sha].get(path)
        if data is None:
            return self._error(h, 404, "EntryNotFound", head, commit=sha)
        digest = hashlib.sha256(data).hexdigest()
        headers = {"X-Repo-Commit": sha, "X-Linked-Etag": f'"{digest}"', "X-Linked-Size": str(len(data)),
                   "ETag": f'"{_git_oid(data)}"', "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if self.corrupt:
            data = data[:-1] + bytes([data[-1] ^ 0xFF])
        start = 0
        rng = h.headers.get("Range")
        if rng and not head:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(data):
                return self._send(h, 416, b"", head=False, headers={"Content-Range": f"bytes */{len(data)}"})
            h.send_response(206)
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        else:
            h.send_response(200)
        body = data[start:]
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if head:
            return
        cut, self.drop_after = self.drop_after, None
        if cut is not None:
            h.wfile.write(body[:cut])
            h.wfile.flush()
            h.connection.shutdown(2)
            return
        if self.slow_s:
            for i in range(0, len(body), 1024):
                h.wfile.write(body[i:i + 1024])
                time.sleep(self.slow_s)
            return
        h.wfile.write(body)


def _git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """A FakeHub with `HF_ENDPOINT` pointing at it, `HF_HOME` in the test's temp dir (nothing is written
    outside it), no inherited HF cache, offline or token settings, and huggingface_hub's telemetry off (it
    would fetch an agent registry from the endpoint the library read at import)."""
    import huggingface_hub.constants as hf_constants
    h = FakeHub()
    monkeypatch.setenv("HF_ENDPOINT", h.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for var in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setattr(hf_constants, "HF_HUB_DISABLE_TELEMETRY", True)
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    yield h
    h.close()
