"""``voice-triage replay``: one manifest, or every manifest in a folder with ``--jobs N`` processes.

A batch shows a progress bar when stderr is a terminal and plain lines otherwise (logs, CI), then
a summary on stdout: pass or fail per manifest, answer accuracy, WER and latency percentiles.
Processes rather than threads: recognition is CPU-bound and each backend keeps one recognizer per
thread anyway; each worker loads its recognizer once and reuses it for the manifests it runs.

Memory is bounded two ways (issue 18 item 18): the workers are replaced by fresh ones after
``TASKS_PER_WORKER`` manifests each, so nothing a long batch leaves behind in a process can add up;
and ``--jobs`` is reduced, with a note on stderr, to what the memory available now
(``MemAvailable`` in ``/proc/meminfo``) can hold at ``WORKER_PEAK_MB`` a worker.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from .. import interrupts
from ..errors import ManifestError, TriageError, UsageError
from ..files import write_bytes
from .metrics import corpus_wer, latency_summary, mean, token_wer, turn_tokens

if TYPE_CHECKING:
    from .manifest import Manifest, Recording
    from .run import Prompt, ReplayResult

#: Exit statuses of ``replay`` (a contract): outcome as expected, not as expected, bad manifest.
EXIT_PASS: Final = 0
EXIT_FAIL: Final = 1
EXIT_BAD: Final = 2
#: The result of a manifest a stopped batch never reached.
NOT_RUN: Final = "NOT RUN"
PROG: Final = "voice-triage"
#: Width of the terminal progress bar in characters.
BAR_WIDTH: Final = 30
#: Upper bound for --jobs: more processes than this only contend for the same cores and memory.
MAX_JOBS: Final = 32
#: Largest recording sent to a cluster worker (bytes): two minutes of 48 kHz stereo float is 46 MB.
MAX_RECORDING_BYTES: Final = 64 * 1024 * 1024
#: Manifests a worker replays before the pool's processes are replaced by fresh ones: a pool of N
#: workers is given N × this many manifests, then shut down. Fewer bound what one process can
#: accumulate more tightly but pay more process starts and recognizer loads (pocketsphinx ~0.3 s,
#: Moonshine ~0.6 s once it listens) and more waiting for the slowest manifest of each round.
TASKS_PER_WORKER: Final = 8
#: Peak memory of one replay worker (MB), used to fit --jobs to the memory available. Measured
#: 508 MB for a worker once Moonshine listens (the example suite, --jobs 2), 560 MB in issue 18's
#: hostile run; a worker that never needs Moonshine stays near 140 MB. Set high, so a batch never
#: swaps or meets the OOM killer, at the price of fewer jobs than a pocketsphinx-only batch could
#: run. ``WORKER_MB_ENV`` overrides it (a large Vosk model needs more).
WORKER_PEAK_MB: Final = 600
WORKER_MB_ENV: Final = "VOICE_TRIAGE_WORKER_MB"
#: Where Linux says how much memory can be used without swapping; elsewhere --jobs is not reduced.
MEMINFO: Final = Path("/proc/meminfo")


def _quiet_stdout() -> contextlib.AbstractContextManager[object]:
    """Libraries that print (pyttsx3: "Audio saved to ...") must not corrupt the JSON on stdout."""
    return contextlib.redirect_stdout(sys.stderr)


def _error_row(exc: BaseException, path: str) -> dict[str, Any]:
    if isinstance(exc, TriageError):
        return {"error": str(exc), "status": exc.exit_status, "result": "ERROR"}
    if isinstance(exc, RecursionError):
        why = "nested too deeply"
    elif isinstance(exc, MemoryError):
        why = "out of memory"
    else:
        why = getattr(exc, "strerror", None) or f"{type(exc).__name__}: {exc}"
    return {"error": f"{path}: cannot replay: {why}", "status": EXIT_BAD, "result": "ERROR"}


def _load(path: Path, root: Path | None, allow_outside: bool) -> Manifest:
    """Load and check one manifest, its recordings inside ``root`` (default: its folder) unless allowed."""
    from .manifest import load_manifest
    from .run import question_ids

    manifest = load_manifest(path, question_ids(), root, allow_outside)
    if not manifest.answers and not manifest.default:
        raise ManifestError(f"{path}: answers: no recordings at all")
    return manifest


def _replay_one(path: str, asr: str, model: str | None, report: str | None, root: str | None = None,
                allow_outside: bool = False, copy_audio: bool = False) -> dict[str, Any]:
    """Run one manifest (in a worker process); returns its report object or an error record.

    Any failure of this one manifest (a bad file, a full disk) is its ERROR record: the batch goes
    on. A report folder made for a session that then failed is removed again (never left empty)."""
    from .html import session_json
    from .run import run_session

    try:
        with _quiet_stdout():
            manifest = _load(Path(path), Path(root) if root else None, allow_outside)
            if report is None:
                return session_json(run_session(manifest, asr, model))
            return _replay_into(manifest, Path(report), asr, model, copy_audio)
    except Exception as exc:  # one bad manifest is one ERROR row, never the end of the batch
        return _error_row(exc, path)


def _replay_into(manifest: Manifest, folder: Path, asr: str, model: str | None,
                 copy_audio: bool = False) -> dict[str, Any]:
    """Replay with reports in ``folder``; a folder made here is removed again if the replay fails."""
    from .html import make_private_dir, write_session_report
    from .run import run_session

    existed = os.path.lexists(folder)
    try:
        make_private_dir(folder)
        result = run_session(manifest, asr, model, make_private_dir(folder / "audio"))
        return write_session_report(result, folder, copy_audio)
    except BaseException:
        if not existed:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _check_copy(copy_audio: bool, report_dir: Path | None) -> None:
    if copy_audio and report_dir is None:
        raise UsageError("--copy-audio copies the recordings into the report folder: give --report-dir too")


def replay_single(path: Path, report_dir: Path | None, as_json: bool, asr: str, model: str | None,
                  allow_outside_audio: bool = False, copy_audio: bool = False) -> int:
    """``replay MANIFEST``: exit 0 when the outcome matches, 1 when not; a bad manifest raises."""
    from .html import session_json, text_summary
    from .run import model_path, run_session

    model_path(model)  # a bad --model fails before anything is replayed
    _check_copy(copy_audio, report_dir)
    with _quiet_stdout():
        manifest = _load(path, None, allow_outside_audio)
        if report_dir is None:
            data = session_json(run_session(manifest, asr, model))
        else:
            data = _replay_into(manifest, report_dir, asr, model, copy_audio)
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        print(text_summary(data))
        if report_dir is not None:
            print(f"report: {report_dir / 'report.html'}")
    return EXIT_PASS if data["passed"] else EXIT_FAIL


class Progress:
    """A bar redrawn in place on a terminal; one plain line per finished manifest elsewhere."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream, self.done, self.failed = total, stream, 0, 0
        self.tty = stream.isatty()

    def update(self, name: str, result: str) -> None:
        self.done += 1
        self.failed += result != "PASS"
        if self.tty:
            filled = BAR_WIDTH * self.done // self.total
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stream.write(f"\r[{bar}] {self.done}/{self.total}, {self.failed} not passed: {name[:30]:<30}")
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(f"replay [{self.done}/{self.total}] {result} {name}\n")
        self.stream.flush()


def _name(path: Path, folder: Path) -> str:
    return str(path.relative_to(folder).with_suffix("")).replace("/", "__")


def _session_row(name: str, path: Path, data: dict[str, Any], report: str | None) -> dict[str, Any]:
    if data.get("result") == "ERROR":
        return {"name": name, "manifest": str(path), "result": "ERROR", "error": data["error"]}
    if data.get("result") in (None, NOT_RUN):
        return {"name": name, "manifest": str(path), "result": NOT_RUN, "error": "not run: the batch was stopped"}
    metrics = data["metrics"]
    return {
        "name": name, "manifest": str(path), "result": data["result"],
        "expected": data["expected"]["level"], "level": data["outcome"]["level"],
        "mismatches": data["mismatches"], "turns": metrics["turns"],
        "answer_accuracy": metrics["answer_accuracy"], "wer": metrics["wer"],
        "audio_s": metrics["audio_s"], "wall_s": metrics["wall_s"], "speedup": metrics["speedup"],
        "report": f"{name}/report.html" if report else None,
    }


def summarize(rows: list[dict[str, Any]], datas: list[dict[str, Any]], wall_s: float, jobs: int) -> dict[str, Any]:
    from .html import SUMMARY_FORMAT

    turns = [turn for data in datas if data.get("result") not in ("ERROR", NOT_RUN, None) for turn in data["turns"]]
    judged = [1.0 if turn["correct"] else 0.0 for turn in turns if turn["correct"] is not None]
    pairs = [(turn["reference"], turn["transcript"] if turn["status"] == "ok" else "")
             for turn in turns if turn["reference"] is not None]
    counts = {word: sum(row["result"] == word for row in rows) for word in ("PASS", "FAIL", "ERROR", NOT_RUN)}
    audio_s = sum(row.get("audio_s") or 0.0 for row in rows)
    result = "ERROR" if counts["ERROR"] else ("FAIL" if counts["FAIL"] else "PASS")
    return {
        "format": SUMMARY_FORMAT,
        "result": result,
        "sessions": rows,
        "totals": {
            "manifests": len(rows), "passed": counts["PASS"], "failed": counts["FAIL"], "errors": counts["ERROR"],
            "not_run": counts[NOT_RUN],
            "turns": len(turns), "answer_accuracy": mean(judged), "wer": corpus_wer(pairs),
            "wer_normalised": token_wer([tokens for turn in turns if (tokens := turn_tokens(turn)) is not None]),
            "latency_s": latency_summary([turn["timings"]["latency_s"] for turn in turns]),
            "audio_s": round(audio_s, 2), "wall_s": round(wall_s, 3), "jobs": jobs,
            "speedup": round(audio_s / wall_s, 2) if wall_s > 0 else None,
        },
    }


def replay_batch(folder: Path, report_dir: Path | None, as_json: bool, jobs: int, asr: str,
                 model: str | None, scheduler: str | None = None, allow_outside_audio: bool = False,
                 copy_audio: bool = False) -> int:
    """``replay DIR``: 2 if any manifest is bad, else 1 if any outcome differs, else 0.

    With ``scheduler`` (a Dask scheduler's address) each manifest is a task on that cluster.
    A signal (SIGINT, SIGTERM, SIGHUP) stops the workers at once (on a cluster: cancels the
    outstanding tasks); the summary of what finished is still written, the rest marked not run,
    and the exit status is 128 + the signal. Recordings must be inside ``folder`` unless
    ``allow_outside_audio``."""
    from .html import make_private_dir, write_batch_report
    from .manifest import find_manifests

    if not 1 <= jobs <= MAX_JOBS:
        raise UsageError(f"--jobs {jobs} must be between 1 and {MAX_JOBS}")
    _check_copy(copy_audio, report_dir)
    if scheduler is not None and jobs != 1:
        raise UsageError("--jobs and --scheduler do not go together (the cluster's workers are the jobs)")
    if scheduler is not None:
        from .cluster import check_available

        check_available()
    else:
        from .run import model_path

        model_path(model)  # a bad --model fails once, not as an error row per manifest
    paths = find_manifests(folder, exclude=[report_dir] if report_dir is not None else [])
    names = [_name(path, folder) for path in paths]
    if report_dir is not None:
        make_private_dir(report_dir)
    reports = [str(report_dir / name) if report_dir else None for name in names]
    progress = Progress(len(paths), sys.stderr)
    datas: list[dict[str, Any]] = [{} for _ in paths]
    started = time.perf_counter()
    stopped: KeyboardInterrupt | None = None
    load = (str(folder), allow_outside_audio, copy_audio)
    threads = [1]
    if scheduler is None and jobs > 1:
        jobs = fit_jobs(jobs, sys.stderr)
    try:
        if scheduler is not None:
            _run_cluster(scheduler, paths, names, reports, datas, progress, asr, model, load, threads)
        elif jobs == 1:
            for index, path in enumerate(paths):
                datas[index] = _replay_one(str(path), asr, model, reports[index], *load)
                progress.update(names[index], datas[index]["result"])
        else:
            _run_pool(paths, names, reports, datas, progress, jobs, asr, model, load)
    except KeyboardInterrupt as exc:
        stopped = exc
    if scheduler is not None:
        jobs = threads[0]
    with interrupts.quiet(deliver=False):  # the summary of what finished is written whole
        wall_s = time.perf_counter() - started
        rows = [_session_row(names[i], paths[i], datas[i], reports[i]) for i in range(len(paths))]
        summary = summarize(rows, datas, wall_s, jobs)
        if scheduler is not None:
            summary["scheduler"] = scheduler
        if stopped is not None:
            summary["interrupted"] = True
        if report_dir is not None:
            write_batch_report(summary, report_dir)
        if as_json:
            sys.stdout.write(json.dumps(summary, ensure_ascii=False) + "\n")
        else:
            _print_summary(summary, report_dir)
    if stopped is not None:
        sys.stderr.write(f"{PROG}: stopped; {summary['totals']['not_run']} manifest(s) not run\n")
        return interrupts.status_of(stopped)
    if summary["result"] == "ERROR":
        # A bad manifest is 2; a recognizer that cannot run at all (3) is reported as such.
        return max(int(data.get("status", EXIT_BAD)) for data in datas if data.get("result") == "ERROR")
    return EXIT_PASS if summary["result"] == "PASS" else EXIT_FAIL


def available_mb(meminfo: Path = MEMINFO) -> int | None:
    """Memory that can be used now without swapping (MB), or None where the system does not say."""
    try:
        for line in meminfo.read_text(encoding="ascii", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key == "MemAvailable":
                return int(value.split()[0]) // 1024  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def worker_mb() -> int:
    """The peak memory assumed for one worker (MB): ``WORKER_PEAK_MB`` unless ``WORKER_MB_ENV`` says."""
    setting = os.environ.get(WORKER_MB_ENV, "").strip()
    if not setting:
        return WORKER_PEAK_MB
    try:
        value = int(setting)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(f"{WORKER_MB_ENV}={setting[:40]!r} must be a whole number of MB, at least 1")
    return value


def fit_jobs(jobs: int, note: TextIO, meminfo: Path = MEMINFO) -> int:
    """``jobs``, or fewer (at least 1) when the memory available cannot hold that many workers at
    their peak; a reduction is said in one line on ``note``."""
    per_worker = worker_mb()
    free = available_mb(meminfo)
    if free is None:
        return jobs
    fits = max(1, free // per_worker)
    if jobs <= fits:
        return jobs
    note.write(f"{PROG}: --jobs {jobs} reduced to {fits}: {free} MB of memory available, "
               f"about {per_worker} MB a worker ({WORKER_MB_ENV})\n")
    note.flush()
    return int(fits)


def _run_pool(paths: list[Path], names: list[str], reports: list[str | None], datas: list[dict[str, Any]],
              progress: Progress, jobs: int, asr: str, model: str | None, load: tuple[str, bool, bool],
              task: Callable[..., dict[str, Any]] = _replay_one) -> None:
    """Replay in worker processes, a fresh pool for every ``TASKS_PER_WORKER`` manifests a worker
    (module docstring); on a signal, the workers are killed before it propagates."""
    workers = min(jobs, len(paths))
    size = workers * TASKS_PER_WORKER
    for start in range(0, len(paths), size):
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, initializer=interrupts.reset_in_worker)
        try:
            futures = {pool.submit(task, str(paths[i]), asr, model, reports[i], *load): i
                       for i in range(start, min(start + size, len(paths)))}
            for future in concurrent.futures.as_completed(futures):
                index = futures[future]
                try:
                    datas[index] = future.result()
                except Exception as exc:  # a worker died (killed, out of memory): report, keep going
                    datas[index] = {"error": f"{paths[index]}: replay worker failed: {exc!r}", "result": "ERROR"}
                progress.update(names[index], datas[index]["result"])
        except BaseException:
            _kill_workers(pool)
            raise
        pool.shutdown(wait=True)


def _remote_call(path: Path, asr: str, model: str | None, report: str | None,
                 load: tuple[str, bool, bool]) -> tuple[Any, ...] | dict[str, Any]:
    """In the client: the arguments of one cluster task, or the manifest's ERROR record.

    The manifest is loaded and checked here, with the same messages as a local run; its
    recordings travel with the task as bytes, so workers need no shared file system."""
    try:
        with _quiet_stdout():
            manifest = _load(path, Path(load[0]), load[1])
            recordings: dict[str, bytes] = {}
            for recording in [*(r for rs in manifest.answers.values() for r in rs), *manifest.default]:
                name = str(recording.audio)
                if name not in recordings:
                    if recording.audio.stat().st_size > MAX_RECORDING_BYTES:
                        raise ManifestError(f"{name}: the recording is over {MAX_RECORDING_BYTES >> 20} MB")
                    recordings[name] = recording.audio.read_bytes()
    except Exception as exc:
        return _error_row(exc, str(path))
    return (manifest, recordings, asr, model, report is not None)


def replay_remote(manifest: Manifest, recordings: dict[str, bytes], asr: str, model: str | None,
                  prompts: bool) -> dict[str, Any]:
    """On a worker: replay ``manifest`` from recordings sent as bytes, in a private temporary folder.

    Returns ``{"replay": ReplayResult, "prompts": {file name: WAV bytes}}`` with every path in the
    result the client's (as a local run would have them), or the manifest's ERROR record; the
    client writes the reports."""
    import tempfile

    from ..files import private_dir, write_bytes
    from .run import run_session

    with tempfile.TemporaryDirectory(prefix="voice-triage-replay-") as tmp:
        here: dict[str, Path] = {}
        try:
            with _quiet_stdout():
                for number, (name, data) in enumerate(sorted(recordings.items())):
                    here[name] = Path(tmp) / f"recording-{number:04d}{Path(name).suffix}"
                    write_bytes(here[name], data, "recording")
                back = {path: Path(name) for name, path in here.items()}

                def moved(recs: tuple[Recording, ...]) -> tuple[Recording, ...]:
                    return tuple(dataclasses.replace(rec, audio=here[str(rec.audio)]) for rec in recs)

                local = dataclasses.replace(manifest, answers={q: moved(rs) for q, rs in manifest.answers.items()},
                                            default=moved(manifest.default))
                audio_dir = private_dir(Path(tmp) / "audio") if prompts else None
                result = run_session(local, asr, model, audio_dir)
                sent: dict[str, bytes] = {}

                def prompt(item: Prompt) -> Prompt:
                    if item.audio is None:
                        return item
                    sent[item.audio.name] = item.audio.read_bytes()
                    return dataclasses.replace(item, audio=Path(item.audio.name))

                turns = tuple(dataclasses.replace(turn, recording=back.get(turn.recording, turn.recording),
                                                  prompt=prompt(turn.prompt)) for turn in result.turns)
                closing = prompt(result.closing) if result.closing else None
                result = dataclasses.replace(result, manifest=manifest, turns=turns, closing=closing)
                return {"replay": result, "prompts": sent}
        except Exception as exc:  # one bad manifest is one ERROR row, never the end of the batch
            row = _error_row(exc, str(manifest.path))
            for name, path in here.items():
                row["error"] = row["error"].replace(str(path), name)
            return row


def _remote_done(value: dict[str, Any], report: str | None, copy_audio: bool = False) -> dict[str, Any]:
    """In the client: a finished cluster task's report object, its reports written here, atomically."""
    from .html import make_private_dir, session_json, write_session_report

    if "replay" not in value:
        return value
    result: ReplayResult = value["replay"]
    path = str(result.manifest.path)
    if report is None:
        return session_json(result)
    folder = Path(report)
    existed = os.path.lexists(folder)
    try:
        with interrupts.quiet(deliver=False):  # a report is written whole (the signal waits for it)
            make_private_dir(folder)
            audio = make_private_dir(folder / "audio")

            def placed(item: Prompt) -> Prompt:
                if item.audio is None:
                    return item
                write_bytes(audio / item.audio.name, value["prompts"][item.audio.name], "cannot write the report")
                return dataclasses.replace(item, audio=audio / item.audio.name)

            turns = tuple(dataclasses.replace(turn, prompt=placed(turn.prompt)) for turn in result.turns)
            closing = placed(result.closing) if result.closing else None
            return write_session_report(dataclasses.replace(result, turns=turns, closing=closing), folder,
                                        copy_audio)
    except Exception as exc:
        if not existed:
            shutil.rmtree(folder, ignore_errors=True)
        return _error_row(exc, path)


def _run_cluster(scheduler: str, paths: list[Path], names: list[str], reports: list[str | None],
                 datas: list[dict[str, Any]], progress: Progress, asr: str, model: str | None,
                 load: tuple[str, bool, bool], threads: list[int]) -> None:
    """Replay on a Dask cluster; ``threads[0]`` becomes the number of worker threads (``jobs``)."""
    from .cluster import WorkerLost, run_tasks

    tasks: list[tuple[Any, tuple[Any, ...]]] = []
    indices: list[int] = []
    for index, path in enumerate(paths):
        call = _remote_call(path, asr, model, reports[index], load)
        if isinstance(call, dict):  # a bad manifest never leaves the client
            datas[index] = call
            progress.update(names[index], call["result"])
        else:
            tasks.append((replay_remote, call))
            indices.append(index)

    def done(task: int, value: Any, error: BaseException | None) -> None:
        index = indices[task]
        if error is None:
            datas[index] = _remote_done(value, reports[index], load[2])
        elif isinstance(error, WorkerLost):
            datas[index] = {"error": f"{paths[index]}: replay worker lost: {error}", "result": "ERROR"}
        else:
            datas[index] = {"error": f"{paths[index]}: replay task failed: {error!r}", "result": "ERROR"}
        progress.update(names[index], datas[index]["result"])
        interrupts.check()  # a signal that came while a report was written

    def started(count: int) -> None:
        threads[0] = max(count, 1)

    if tasks:
        run_tasks(scheduler, tasks, done, started)


def _kill_workers(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Stop every worker now: a batch that was asked to stop must not leave processes running."""
    with interrupts.quiet(deliver=False):
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
                    process.join(timeout=5)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f} s"


def _print_summary(summary: dict[str, Any], report_dir: Path | None) -> None:
    for row in summary["sessions"]:
        if row["result"] in ("ERROR", NOT_RUN):
            print(f"{row['result']} {row['name']}: {row['error']}")
            continue
        print(f"{row['result']} {row['name']}: expected {row['expected']}, got {row['level'] or 'no decision'}; "
              f"accuracy {_pct(row['answer_accuracy'])}, WER {_pct(row['wer'])}")
        for problem in row["mismatches"]:
            print(f"  mismatch: {problem}")
    totals, latency = summary["totals"], summary["totals"]["latency_s"]
    not_run = f", {totals['not_run']} not run" if totals["not_run"] else ""
    print(f"{summary['result']}: {totals['passed']} passed, {totals['failed']} failed, {totals['errors']} errors"
          f"{not_run} "
          f"of {totals['manifests']}; answer accuracy {_pct(totals['answer_accuracy'])}, "
          f"WER after normalising answers {_pct(totals['wer_normalised'])} (as written {_pct(totals['wer'])}); "
          f"latency p50 {_s(latency['p50'])}, p90 {_s(latency['p90'])}, p95 {_s(latency['p95'])}; "
          f"{totals['wall_s']:.1f} s with {totals['jobs']} job(s)")
    if report_dir is not None:
        print(f"report: {report_dir / 'index.html'}")
