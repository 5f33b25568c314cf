"""`models download|list|verify`: a real HTTP download from 127.0.0.1, checksum, atomic unpack.

The pinned Vosk URL cannot be reached from here, so the catalog is a seam: each test pins a small
fake model served by a local HTTP server. Everything else (streaming, hashing, unzip, rename,
error text, clean-up) is the production path.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from tests.conftest import run_cli
from voice_triage.asr import models
from voice_triage.errors import ModelError

NAME = "fake-model-0.1"


def make_zip(files: dict[str, bytes], top: str | None = NAME) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(f"{top}/{rel}" if top else rel, data)
    return buf.getvalue()


MODEL_FILES = {
    "am/final.mdl": b"acoustic model" * 100,
    "graph/HCLr.fst": b"graph",
    "graph/phones/word_boundary.int": b"1 nonword\n",
    "conf/model.conf": b"--sample-frequency=16000\n",
    "README": b"fake model for tests\n",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, bytes]] = {}

    def do_GET(self) -> None:
        body = self.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, bytes]]]:
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    routes: ClassVar[dict[str, bytes]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", routes
    httpd.shutdown()
    httpd.server_close()


def spec_for(url: str, data: bytes, sha: str | None = None, size: int | None = None) -> models.ModelSpec:
    return models.ModelSpec(NAME, url, len(data) if size is None else size,
                            sha or hashlib.sha256(data).hexdigest(), "test", "fake")


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_download_verifies_unpacks_atomically_and_writes_manifest(server, tmp_path: Path) -> None:
    base, routes = server
    data = make_zip(MODEL_FILES)
    routes["/m.zip"] = data
    catalog = {NAME: spec_for(base + "/m.zip", data)}
    path = models.download(NAME, tmp_path, catalog)
    assert path == tmp_path / NAME
    assert (path / "am" / "final.mdl").read_bytes() == MODEL_FILES["am/final.mdl"]
    assert leftovers(tmp_path) == [NAME]  # no temporary folders or archives left behind
    manifest = json.loads((path / models.MANIFEST_NAME).read_text())["files"]
    assert set(manifest) == set(MODEL_FILES)
    assert models.status(str(path)).ok
    # A damaged file is noticed by verify (the manifest written at unpack time).
    (path / "graph" / "HCLr.fst").write_bytes(b"edited")
    assert models.status(str(path)).problems == ("graph/HCLr.fst has changed since it was unpacked",)
    # ...and a new download replaces the damaged copy.
    assert models.status(str(models.download(NAME, tmp_path, catalog))).ok
    assert leftovers(tmp_path) == [NAME]


def test_checksum_mismatch_installs_nothing_and_says_how_to_place_by_hand(server, tmp_path: Path) -> None:
    base, routes = server
    data = make_zip(MODEL_FILES)
    routes["/m.zip"] = data
    catalog = {NAME: spec_for(base + "/m.zip", data, sha="0" * 64)}
    with pytest.raises(ModelError) as err:
        models.download(NAME, tmp_path, catalog)
    message = str(err.value)
    assert "checksum mismatch" in message and hashlib.sha256(data).hexdigest() in message
    assert "by hand" in message and str(tmp_path / NAME / "am" / "final.mdl") in message
    assert leftovers(tmp_path) == []


def test_wrong_size_is_refused(server, tmp_path: Path) -> None:
    base, routes = server
    data = make_zip(MODEL_FILES)
    routes["/m.zip"] = data
    for size in (len(data) - 10, len(data) + 10):
        with pytest.raises(ModelError, match="bytes"):
            models.download(NAME, tmp_path, {NAME: spec_for(base + "/m.zip", data, size=size)})
        assert leftovers(tmp_path) == []


def test_offline_connection_refused_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = make_zip(MODEL_FILES)
    with pytest.raises(ModelError) as err:
        models.download(NAME, tmp_path, {NAME: spec_for(f"http://127.0.0.1:{port}/m.zip", data)})
    assert "cannot download" in str(err.value) and "offline" in str(err.value) and "by hand" in str(err.value)
    assert leftovers(tmp_path) == []


def test_http_error_and_unknown_name(server, tmp_path: Path) -> None:
    base, _routes = server
    data = make_zip(MODEL_FILES)
    with pytest.raises(ModelError, match="Not Found"):
        models.download(NAME, tmp_path, {NAME: spec_for(base + "/missing.zip", data)})
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        models.download("nope", tmp_path)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("files", "top", "problem"),
    [
        ({"../evil": b"x", **MODEL_FILES}, NAME, "unsafe path"),
        ({"README": b"not a model"}, NAME, "not a Vosk model"),
    ],
)
def test_bad_archives_are_refused(server, tmp_path: Path, files: dict[str, bytes], top: str, problem: str) -> None:
    base, routes = server
    data = make_zip(files, top)
    routes["/m.zip"] = data
    with pytest.raises(ModelError, match=problem):
        models.download(NAME, tmp_path, {NAME: spec_for(base + "/m.zip", data)})
    assert leftovers(tmp_path) == []
    assert not (tmp_path.parent / "evil").exists()


def test_not_a_zip_is_refused(server, tmp_path: Path) -> None:
    base, routes = server
    routes["/m.zip"] = data = b"<html>captive portal</html>"
    with pytest.raises(ModelError, match="cannot unpack"):
        models.download(NAME, tmp_path, {NAME: spec_for(base + "/m.zip", data)})
    assert leftovers(tmp_path) == []


def test_archive_without_top_folder_is_accepted(server, tmp_path: Path) -> None:
    base, routes = server
    routes["/m.zip"] = data = make_zip(MODEL_FILES, top=None)
    path = models.download(NAME, tmp_path, {NAME: spec_for(base + "/m.zip", data)})
    assert models.status(str(path)).ok and (path / "conf" / "model.conf").is_file()


def test_pinned_default_model_is_well_formed() -> None:
    spec = models.KNOWN_MODELS[models.DEFAULT_MODEL]
    assert spec.url == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
    assert 30_000_000 < spec.size < 60_000_000


def test_cli_list_and_verify(server, tmp_path: Path) -> None:
    base, routes = server
    routes["/m.zip"] = data = make_zip(MODEL_FILES)
    models.download(NAME, tmp_path, {NAME: spec_for(base + "/m.zip", data)})
    env = {"VOICE_TRIAGE_MODELS": str(tmp_path)}
    listed = run_cli("models", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows[NAME]["ok"] and not rows[NAME]["known"]
    assert rows[models.DEFAULT_MODEL]["installed"] is False and rows[models.DEFAULT_MODEL]["known"]
    ok = run_cli("models", "verify", NAME, env=env)
    assert ok.returncode == 0 and "OK" in ok.stdout, ok.stderr
    (tmp_path / NAME / "am" / "final.mdl").unlink()
    bad = run_cli("models", "verify", NAME, env=env)
    assert bad.returncode == 3 and "am/final.mdl is missing" in bad.stderr and "Traceback" not in bad.stderr
    missing = run_cli("models", "verify", env=env)
    assert missing.returncode == 3 and "not installed" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


# --- a model placed by hand (no manifest): its files must look like a Vosk model's (issue 18, item 13)


def test_random_bytes_without_a_manifest_are_not_ok(tmp_path: Path) -> None:
    from tests.test_vosk import random_model

    folder = random_model(tmp_path / models.DEFAULT_MODEL)
    result = models.status(str(folder))
    assert result.installed and not result.ok
    assert "am/final.mdl is not a Kaldi acoustic model" in result.problems
    assert "graph/HCLr.fst is not an OpenFst graph" in result.problems
    assert "graph/disambig_tid.int is missing" in result.problems
    assert "conf/model.conf is not a Kaldi config file" in result.problems
    listed = {r.name: r for r in models.list_models(tmp_path)}
    assert not listed[models.DEFAULT_MODEL].ok
    assert models.find_model(root=tmp_path) == folder  # structure alone: loading decides (see test_vosk)
    bad = run_cli("models", "verify", str(folder))
    assert bad.returncode == 3 and "OK" not in bad.stdout and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and "is not a Kaldi acoustic model" in bad.stderr


def test_a_well_formed_model_placed_by_hand_is_ok(tmp_path: Path) -> None:
    from tests.test_vosk import write_model

    folder = write_model(tmp_path / models.DEFAULT_MODEL)
    assert not (folder / models.MANIFEST_NAME).exists()
    assert models.status(str(folder)).ok
    big = write_model(tmp_path / "vosk-model-en-us-0.22", fixed_graph=True)
    assert models.status(str(big)).ok
    (folder / "conf" / "mfcc.conf").unlink()
    assert models.status(str(folder)).problems == ("conf/mfcc.conf (or conf/fbank.conf) is missing",)
    (big / "graph" / "HCLG.fst").write_bytes(b"<html>not found</html>")
    assert models.status(str(big)).problems == ("graph/HCLG.fst is not an OpenFst graph",)


def test_download_replaces_random_bytes_placed_without_a_manifest(server, tmp_path: Path) -> None:
    from tests.test_vosk import random_model

    random_model(tmp_path / NAME)
    base, routes = server
    routes["/m.zip"] = data = make_zip(MODEL_FILES)
    path = models.download(NAME, tmp_path, {NAME: spec_for(base + "/m.zip", data)})
    assert (path / "am" / "final.mdl").read_bytes() == MODEL_FILES["am/final.mdl"]
    assert models.status(str(path)).ok and leftovers(tmp_path) == [NAME]
