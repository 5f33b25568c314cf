"""Speech models: ``voice-triage models download|list|verify``.

A model is fetched from a pinned URL, its size and SHA-256 are checked against values pinned here,
and it is unpacked atomically: into a temporary folder beside the destination, checked, then
renamed into place. A person therefore never meets a half-unpacked model; on any failure the
temporary files are removed and the error says how to place the model by hand (these machines are
often offline). At unpack time a manifest of every file's size and SHA-256 is written so that
``models verify`` can later notice a damaged or edited model.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from ..errors import ModelError, UsageError
from ..settings import MODELS_ENV

#: Default model: the small US English Vosk model (Apache 2.0), the one grammars work with.
DEFAULT_MODEL: Final = "vosk-model-small-en-us-0.15"
#: Written into each unpacked model: file → [size, sha256]. Lets `verify` detect damage.
MANIFEST_NAME: Final = "voice-triage-manifest.json"
#: Paths every Vosk model needs (the loader fails obscurely without them).
REQUIRED_PATHS: Final = ("am/final.mdl", "graph", "conf")
#: Network timeout per read. Long enough for a slow link, short enough that offline fails fast.
TIMEOUT_S: Final = 30.0
#: Download chunk: bounded memory whatever the model size.
CHUNK_BYTES: Final = 1 << 20
#: Zip-bomb guards: a model unpacks to a few times its archive size and some hundred files.
MAX_UNPACK_RATIO: Final = 20
MAX_ENTRIES: Final = 20_000


@dataclass(frozen=True)
class ModelSpec:
    """A downloadable model with its pinned archive size and checksum."""

    name: str
    url: str
    size: int
    sha256: str
    license: str
    description: str


#: Pinned archives. Size and SHA-256 are the values published for the archive (the same pair is
#: pinned independently by several packagers, e.g. a Yocto recipe and an AUR PKGBUILD).
KNOWN_MODELS: Final[Mapping[str, ModelSpec]] = {
    DEFAULT_MODEL: ModelSpec(
        name=DEFAULT_MODEL,
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        size=41_205_931,
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        license="Apache-2.0",
        description="Vosk small US English (about 40 MB; works with per-question grammars)",
    ),
}


@dataclass(frozen=True)
class ModelStatus:
    """One row of `models list` / result of `models verify`."""

    name: str
    path: Path
    installed: bool
    known: bool
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.installed and not self.problems

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "path": str(self.path), "installed": self.installed, "known": self.known,
                "ok": self.ok, "problems": list(self.problems)}


def expand_user(text: str | Path, what: str) -> Path:
    """``text`` as a path with a leading ``~`` or ``~user`` expanded; ``what`` names where it came
    from (an option, a variable) in the one-line error for a user this machine does not know."""
    try:
        return Path(text).expanduser()
    except RuntimeError:  # "~someone/x" for a user this machine does not know, or no home at all
        user = str(text).split(os.sep, 1)[0]
        raise UsageError(f"{what}: {user} is not a user's home folder on this machine") from None


def models_dir() -> Path:
    """$VOICE_TRIAGE_MODELS, else ``models/`` of a source checkout, else ``./models``."""
    env = os.environ.get(MODELS_ENV, "").strip()
    if env:
        return expand_user(env, f"{MODELS_ENV}={env!r}")
    checkout = Path(__file__).resolve().parents[2] / "models"
    return checkout if checkout.is_dir() else Path.cwd() / "models"


def find_model(name: str = DEFAULT_MODEL, root: Path | None = None) -> Path | None:
    """The installed model folder when it has the required structure, else None."""
    path = (root or models_dir()) / name
    return path if not structure_problems(path) else None


def how_to_place(spec: ModelSpec, root: Path) -> str:
    return (f"To install it by hand: download {spec.url} on a connected machine, check that its SHA-256 is "
            f"{spec.sha256}, unzip it so that {root / spec.name / 'am' / 'final.mdl'} exists, then run "
            f"'voice-triage models verify'")


# --- download --------------------------------------------------------------------------------------


def download(name: str = DEFAULT_MODEL, root: Path | None = None,
             catalog: Mapping[str, ModelSpec] = KNOWN_MODELS) -> Path:
    """Fetch, check and unpack a model; returns its folder. ``catalog`` is a seam for tests."""
    spec = catalog.get(name)
    if spec is None:
        raise ModelError(f"unknown model {name!r} (known: {', '.join(sorted(catalog))})")
    root = root or models_dir()
    final = root / spec.name
    if not structure_problems(final) and not manifest_problems(final):
        return final
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot create the models folder {root}: {exc.strerror or exc}") from exc
    # Temporary files live beside the destination so the final rename stays on one filesystem.
    work = Path(tempfile.mkdtemp(prefix=f".{spec.name}.partial-", dir=root))
    try:
        archive = work / "archive.zip"
        _fetch(spec, archive, root)
        unpacked = _unpack(spec, archive, work / "unpacked", root)
        _write_manifest(unpacked)
        _install(unpacked, final, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _fetch(spec: ModelSpec, dest: Path, root: Path) -> None:
    digest = hashlib.sha256()
    received = 0
    try:
        with urllib.request.urlopen(spec.url, timeout=TIMEOUT_S) as response, dest.open("wb") as out:
            while chunk := response.read(CHUNK_BYTES):
                received += len(chunk)
                if received > spec.size:
                    raise ModelError(f"{spec.url} sent more than the pinned {spec.size} bytes; refusing it. "
                                     + how_to_place(spec, root))
                digest.update(chunk)
                out.write(chunk)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:  # refused, timeout, DNS, HTTP
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise ModelError(f"cannot download {spec.name} from {spec.url} ({reason}); are you offline? "
                         + how_to_place(spec, root)) from exc
    if received != spec.size:
        raise ModelError(f"{spec.url} sent {received} bytes, expected {spec.size} (interrupted download?). "
                         + how_to_place(spec, root))
    if digest.hexdigest() != spec.sha256:
        raise ModelError(f"{spec.name}: checksum mismatch (got SHA-256 {digest.hexdigest()}, pinned "
                         f"{spec.sha256}); the archive was not installed. " + how_to_place(spec, root))


def _unpack(spec: ModelSpec, archive: Path, dest: Path, root: Path) -> Path:
    """Extract safely (no absolute paths, '..', links or bombs); returns the model folder inside."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ENTRIES or sum(i.file_size for i in infos) > MAX_UNPACK_RATIO * spec.size:
                raise ModelError(f"{spec.name}: the archive unpacks to too many files or bytes; refusing it")
            for info in infos:
                parts = PurePosixPath(info.filename).parts
                is_link = (info.external_attr >> 16) & 0o170000 == 0o120000
                if not parts or info.filename.startswith("/") or ".." in parts or is_link:
                    raise ModelError(f"{spec.name}: unsafe path {info.filename!r} in the archive; refusing it")
            zf.extractall(dest)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{spec.name}: cannot unpack the archive ({exc}). " + how_to_place(spec, root)) from exc
    entries = list(dest.iterdir())
    model = entries[0] if len(entries) == 1 and entries[0].is_dir() else dest
    problems = structure_problems(model)
    if problems:
        raise ModelError(f"{spec.name}: the archive is not a Vosk model ({'; '.join(problems)})")
    return model


def _install(unpacked: Path, final: Path, work: Path) -> None:
    """Rename into place; an old incomplete copy is moved aside first and removed after."""
    if final.exists() or final.is_symlink():
        final.rename(work / "previous")
    unpacked.rename(final)


# --- structure and manifest ------------------------------------------------------------------------


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _model_files(model: Path) -> list[Path]:
    return sorted(p for p in model.rglob("*") if p.is_file() and p.name != MANIFEST_NAME)


def _write_manifest(model: Path) -> None:
    entries = {p.relative_to(model).as_posix(): [p.stat().st_size, _file_digest(p)] for p in _model_files(model)}
    (model / MANIFEST_NAME).write_text(json.dumps({"files": entries}, indent=1, sort_keys=True) + "\n")


def structure_problems(model: Path) -> list[str]:
    if not model.is_dir():
        return [f"{model} is not a folder"]
    return [f"{rel} is missing" for rel in REQUIRED_PATHS if not (model / rel).exists()]


#: Without a manifest (a model unzipped by hand) the files Vosk reads first must look like what
#: they are: Kaldi binary objects start with "\0B", OpenFst files with this magic number, Kaldi
#: config lines with "--". Random bytes in the right places are not a model.
_KALDI_MODEL_HEADS: Final = (b"\x00B<TransitionModel>", b"<TransitionModel>")
_FST_MAGIC: Final = (2125659606).to_bytes(4, "little")
_HEAD_BYTES: Final = 64 * 1024


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(_HEAD_BYTES)
    except OSError:
        return b""


def content_problems(model: Path) -> list[str]:
    """Files that cannot be what Vosk expects (the check for a model without a manifest)."""
    graph = ("graph/HCLG.fst",) if (model / "graph" / "HCLG.fst").exists() else (
        "graph/HCLr.fst", "graph/Gr.fst", "graph/disambig_tid.int")
    features = [rel for rel in ("conf/mfcc.conf", "conf/fbank.conf") if (model / rel).is_file()][:1]
    problems = [] if features else ["conf/mfcc.conf (or conf/fbank.conf) is missing"]
    for rel in ("am/final.mdl", *graph, "conf/model.conf", *features):
        path = model / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
            continue
        head = _head(path)
        if rel.endswith(".mdl") and not head.lstrip().startswith(_KALDI_MODEL_HEADS):
            problems.append(f"{rel} is not a Kaldi acoustic model")
        elif rel.endswith(".fst") and not head.startswith(_FST_MAGIC):
            problems.append(f"{rel} is not an OpenFst graph")
        elif rel.endswith(".conf") and not all(
                line.startswith("--") for raw in head.decode("utf-8", "replace").splitlines()
                if (line := raw.split("#", 1)[0].strip())):
            problems.append(f"{rel} is not a Kaldi config file")
    return problems


def manifest_problems(model: Path) -> list[str]:
    """Differences from the manifest written at unpack time; without one, ``content_problems``."""
    manifest = model / MANIFEST_NAME
    if not manifest.is_file():
        return content_problems(model)
    try:
        files = json.loads(manifest.read_text())["files"]
        expected = {str(k): (int(v[0]), str(v[1])) for k, v in files.items()}
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return [f"{MANIFEST_NAME} is unreadable"]
    problems: list[str] = []
    for rel, (size, sha) in sorted(expected.items()):
        path = model / rel
        if not path.is_file():
            problems.append(f"{rel} is missing")
        elif path.stat().st_size != size or _file_digest(path) != sha:
            problems.append(f"{rel} has changed since it was unpacked")
    return problems


def status(name_or_path: str | None = None, root: Path | None = None) -> ModelStatus:
    """Check one model, given by name (in the models folder) or by path."""
    root = root or models_dir()
    candidate = expand_user(name_or_path, name_or_path) if name_or_path else root / DEFAULT_MODEL
    if name_or_path and os.sep not in str(candidate) and not candidate.exists():
        candidate = root / name_or_path
    elif name_or_path and not (candidate.exists() or candidate.is_symlink()):
        # A path, not a name: say that this path is missing (not that a model "is not installed").
        raise UsageError(f"{candidate}: no such file or folder")
    return _status(candidate)


def _status(candidate: Path) -> ModelStatus:
    problems = structure_problems(candidate)
    installed = candidate.is_dir()
    if installed and not problems:
        problems = manifest_problems(candidate)
    return ModelStatus(candidate.name, candidate, installed, candidate.name in KNOWN_MODELS, tuple(problems))


def list_models(root: Path | None = None) -> list[ModelStatus]:
    """Every known model (installed or not) and every other model folder found."""
    root = root or models_dir()
    names = set(KNOWN_MODELS)
    if root.is_dir():
        names |= {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    return [_status(root / name) for name in sorted(names)]
