"""Writing outputs without ever losing a user's files: one place for every command that writes.

``run``, ``sweep``, ``analyze`` and ``validate`` all write through here:

- a path that is the filesystem root, the home directory, the current directory or one of its
  parents is never an output (:func:`refuse_dangerous`);
- a directory is built in a *staging* sibling (``.NAME.hedgesim-XXXXXXXX``) and renamed into place,
  so a failed or interrupted write leaves nothing half-written, and two processes racing for the
  same new path cannot both win: ``rename(2)`` onto a non-empty directory fails (:func:`publish`);
- every directory hedgesim writes carries a marker file (:data:`MARKER`) naming what it is; ``--force``
  replaces only such a directory, and only while everything in it is something hedgesim writes there
  (:class:`Layout`), so a user's notes inside it are named and kept, never deleted;
- a staging directory's marker is held with ``flock`` while it is being built: one whose marker
  nobody holds is a leftover of a killed process and is removed (:func:`remove_stale_staging`);
- a single file (``validate --out``) is written to a temporary sibling and renamed (:func:`write_file`);
  a killed writer's temporary (its lock no longer held) is removed by the next write of that file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import json
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO

MARKER = ".hedgesim"  # JSON naming the kind of directory and the version that wrote it
STAGING_TAG = "hedgesim"  # staging siblings are named .NAME.hedgesim-XXXXXXXX (and -old while swapping)
_RACE_ERRNOS = {errno.EEXIST, errno.ENOTEMPTY, errno.ENOTDIR, errno.EISDIR}


class OutputKind(StrEnum):
    RUN = "run"
    SWEEP = "sweep"
    ANALYSIS = "analysis"
    COMPARE = "compare"
    CALIBRATION = "calibration"
    ROBUSTNESS = "robustness"


class OutputRefusedError(FileExistsError):
    """An output path hedgesim will not write: it exists, is not ours, holds a user's files, or is
    a path no command should ever replace (``/``, ``~``, ``.``)."""


class UnreadableOutputError(ValueError):
    """A directory hedgesim wrote that it can no longer read (e.g. a corrupt experiment.json)."""


@dataclass(frozen=True)
class Layout:
    """What hedgesim writes into a directory: file-name patterns and sub-folders (each with its own
    layout). Anything else found there is the user's."""

    kind: OutputKind | None = None
    files: tuple[str, ...] = ()
    folders: Mapping[str, Layout] = field(default_factory=dict)
    manifest: tuple[str, tuple[str, ...]] | None = None  # (file, keys) marking it as ours before MARKER


# The figures hedgesim draws (sim.plots, sim.sweep.figures), in every --figure-format: named exactly,
# so a user's own drawing in plots/ (draft.svg) is theirs and never replaced.
FIGURE_FORMATS = ("png", "pdf", "svg")
FIGURE_STEMS = ("overview", "ensemble", "compare", "sensitivity", "morris_mu_sigma", "outcome_vs_parameter",
                "heatmap", "ensemble_series", "posterior", "out_of_sample", "robustness_indices",
                "robustness_holds")
FIGURES = Layout(files=tuple(f"{stem}.{fmt}" for stem in FIGURE_STEMS for fmt in FIGURE_FORMATS))
RUN_LAYOUT = Layout(OutputKind.RUN, (MARKER, "meta.json", "series.csv", "series.parquet", "actions.csv",
                                     "events.csv", "rules.csv"), {"plots": FIGURES},
                    manifest=("meta.json", ("scenario_hash", "hedgesim_version")))
COMPARE_LAYOUT = Layout(OutputKind.COMPARE, (MARKER, "meta.json", "*.csv"), {"plots": FIGURES},
                        manifest=("meta.json", ("baseline", "hedgesim_version")))
ANALYSIS_LAYOUT = Layout(OutputKind.ANALYSIS, (MARKER, "*.csv"), {"plots": FIGURES})
CALIBRATION_LAYOUT = Layout(OutputKind.CALIBRATION,
                            (MARKER, ".lock", "calibration.json", "abc.db", "abc.db-journal", "meta.json",
                             "posterior.parquet", "*.csv", ".*.hedgesim-*.tmp"), {"plots": FIGURES},
                            manifest=("calibration.json", ("calibration", "hedgesim_version")))
ROBUSTNESS_LAYOUT = Layout(OutputKind.ROBUSTNESS, (MARKER, "meta.json", "*.csv", "*.parquet"),
                           {"plots": FIGURES}, manifest=("meta.json", ("robustness", "hedgesim_version")))
_PARTS = Layout(files=("part-*.parquet", ".part-*.tmp"))
SWEEP_LAYOUT = Layout(OutputKind.SWEEP, (MARKER, ".lock", "experiment.json", ".experiment.json.tmp"),
                      {"runs": _PARTS, "series": _PARTS, "quarantine": Layout(files=("*.parquet",)),
                       "analysis": ANALYSIS_LAYOUT, ".analysis.*": ANALYSIS_LAYOUT},  # and its staging
                      manifest=("experiment.json", ("experiment_hash", "total_runs")))


# ------------------------------------------------------------------------------------------ checks
def refuse_dangerous(path: str | Path) -> Path:
    """``path``, unless it is the root, the home directory, the current directory or an ancestor of
    one of them: those are refused whatever the flags (a results folder is never one of them)."""
    resolved = Path(path).resolve()
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no HOME and no passwd entry
        home = Path(resolved.anchor)
    cwd = Path.cwd().resolve()
    if resolved == home or resolved in home.parents:
        raise OutputRefusedError(f"{path}: refusing to write into the home directory or above it; "
                                 "give a new folder for --out")
    if resolved == cwd or resolved in cwd.parents:
        raise OutputRefusedError(f"{path}: refusing to write into the current directory or one of its "
                                 "parents; give a new folder for --out")
    return Path(path)


def foreign_entries(root: Path, layout: Layout) -> list[Path]:
    """Everything under ``root`` that hedgesim does not write there (symbolic links always are)."""
    found: list[Path] = []
    with os.scandir(root) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                sub = next((lay for pat, lay in layout.folders.items()
                            if fnmatch.fnmatchcase(entry.name, pat)), None)
                found += [path] if sub is None else foreign_entries(path, sub)
            elif not entry.is_file(follow_symlinks=False) or not any(
                    fnmatch.fnmatchcase(entry.name, pat) for pat in layout.files):
                found.append(path)
    return found


def marker_kind(root: Path) -> OutputKind | None:
    """The kind recorded in ``root``'s marker, or None when there is no readable marker."""
    try:
        data = json.loads((root / MARKER).read_text())
        return OutputKind(data["kind"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_ours(root: Path, layout: Layout) -> bool:
    """Whether ``root`` is a directory of ``layout``'s kind that hedgesim wrote: its marker says so,
    or (written before markers existed) its manifest file holds the keys only hedgesim writes. A
    layout without a manifest (``analysis/`` inside a results directory) is judged by its files."""
    if not root.is_dir() or root.is_symlink():
        return False
    kind = marker_kind(root)
    if kind is not None:
        return kind is layout.kind
    if layout.manifest is None:
        return True
    name, keys = layout.manifest
    try:
        data = json.loads((root / name).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and all(k in data for k in keys)


def check_replaceable(out: Path, layout: Layout, what: str = "directory") -> None:
    """Raise unless ``out`` is a directory hedgesim wrote that holds nothing else (``--force``)."""
    if out.is_symlink():
        raise OutputRefusedError(f"{out} is a symbolic link; --force replaces only a {what} hedgesim "
                                 "wrote, never a link (give the real path or another --out)")
    if not out.is_dir():
        raise OutputRefusedError(f"{out} is a file, not a {what} hedgesim wrote; --force does not "
                                 "replace it (use another --out)")
    if not is_ours(out, layout):
        raise OutputRefusedError(f"{out} was not written by hedgesim as a {layout.kind} {what} (no "
                                 f"{MARKER} marker says so); --force never replaces it (use another --out)")
    foreign = foreign_entries(out, layout)
    if foreign:
        raise OutputRefusedError(f"{out} holds files hedgesim did not write ({_listing(out, foreign)}); "
                                 "--force would delete them: move them out or use another --out")


def _listing(root: Path, paths: list[Path], most: int = 3) -> str:
    names = [str(p.relative_to(root)) + ("/" if p.is_dir() and not p.is_symlink() else "") for p in paths]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


# ------------------------------------------------------------------------------------------ staging
def write_marker(root: Path, kind: OutputKind) -> IO[str]:
    """Write ``root``'s marker and return it open and ``flock``-ed: while it is held, the
    directory is being built by a live process."""
    from sim import __version__
    handle = open(root / MARKER, "w")  # noqa: SIM115 - held until the directory is in place
    fcntl.flock(handle, fcntl.LOCK_EX)
    handle.write(json.dumps({"written_by": "hedgesim", "kind": kind.value, "hedgesim_version": __version__,
                             "created_at": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n")
    handle.flush()
    return handle


def _staging_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}\.{STAGING_TAG}-[0-9a-f]{{8}}(-old|-new)?")


BIRTH = "-new"  # a staging directory before its marker is held (:func:`_make_staging_dir`)
BIRTH_SECONDS = 60.0  # a -new directory with no marker yet is left alone this long: it may be being made


def _held(root: Path) -> bool:
    """Whether a live process holds ``root``'s marker (a staging directory still being built)."""
    try:
        with open(root / MARKER) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False
    except FileNotFoundError:
        return False


def remove_stale_staging(parent: Path, name: str) -> list[Path]:
    """Remove leftovers of a killed write of ``parent/name`` (only directories named by our own
    staging pattern whose marker no live process holds); return what was removed."""
    pattern, removed = _staging_pattern(name), []
    if not parent.is_dir():
        return removed
    for entry in parent.iterdir():
        if not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        builder = entry.with_name(entry.name.removesuffix("-old"))
        if _held(entry) or (builder != entry and builder.is_dir() and _held(builder)):
            continue
        if entry.name.endswith(BIRTH) and not (entry / MARKER).exists() and _younger(entry, BIRTH_SECONDS):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _younger(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except FileNotFoundError:
        return True  # gone meanwhile: nothing to remove


def _make_staging_dir(parent: Path, name: str, kind: OutputKind) -> tuple[Path, IO[str]]:
    """A new staging directory beside ``parent/name`` (the user's usual mode, umask) and its marker,
    held. It is made as ``...-XXXXXXXX-new``, its marker written and held, and only then renamed to
    its staging name: another process cleaning leftovers (:func:`remove_stale_staging`) never sees
    it under that name unheld, so it cannot remove a directory still being made."""
    for _ in range(100):
        path = parent / f".{name}.{STAGING_TAG}-{secrets.token_hex(4)}"
        birth = path.with_name(path.name + BIRTH)
        if path.exists():
            continue
        try:
            birth.mkdir(mode=0o777)
        except FileExistsError:
            continue
        handle = None
        try:
            handle = write_marker(birth, kind)
            birth.rename(path)
        except BaseException:
            if handle is not None:
                handle.close()
            shutil.rmtree(birth, ignore_errors=True)
            raise
        return path, handle
    raise FileExistsError(f"{parent}: cannot create a staging directory for {name}")


@contextlib.contextmanager
def staging(out: Path, kind: OutputKind) -> Iterator[Path]:
    """A staging directory for ``out``, with its marker held; removed if the block fails."""
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(out.parent, out.name)
    tmp, handle = _make_staging_dir(out.parent, out.name, kind)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        handle.close()


def publish(tmp: Path, out: Path, layout: Layout, *, replace: bool) -> None:
    """Rename the staging directory ``tmp`` to ``out``. A new ``out`` is created atomically: if
    another process made it meanwhile, this one fails (``rename(2)`` never overwrites a non-empty
    directory). With ``replace``, an existing ``out`` is first moved aside, checked once more (out
    of everyone's reach) to hold only hedgesim's files, and removed after the swap."""
    old = tmp.with_name(tmp.name + "-old")
    moved = False
    if replace and (out.exists() or out.is_symlink()):
        check_replaceable(out, layout)
        os.rename(out, old)
        moved = True
        foreign = foreign_entries(old, layout)
        if foreign:
            os.rename(old, out)
            raise OutputRefusedError(f"{out} holds files hedgesim did not write "
                                     f"({_listing(old, foreign)}); it was left as it was")
        os.chmod(tmp, stat.S_IMODE(old.stat().st_mode))  # keep the mode the user gave it
    try:
        os.rename(tmp, out)
    except OSError as exc:
        if moved:
            os.rename(old, out)
        if exc.errno in _RACE_ERRNOS:
            raise OutputRefusedError(f"{out} was created by another process while this one was "
                                     "writing; nothing of this one was kept (use another --out)") from None
        raise
    if moved:
        shutil.rmtree(old, ignore_errors=True)


def write_dir(out: Path, layout: Layout, fill: Callable[[Path], None], *, force: bool) -> Path:
    """Write a directory of ``layout`` at ``out``: ``fill(tmp)`` writes the files into a staging
    directory, which then replaces ``out`` (only with ``force``, only if hedgesim wrote it)."""
    assert layout.kind is not None
    if (out.exists() or out.is_symlink()) and not force:
        raise OutputRefusedError(f"{out} already exists (use --force to replace it, or --out DIR)")
    with staging(out, layout.kind) as tmp:
        fill(tmp)
        publish(tmp, out, layout, replace=force)
    return out


def check_dir_target(out: Path, layout: Layout, *, force: bool) -> None:
    """Fail early, before any work, for an output directory that :func:`write_dir` would refuse."""
    refuse_dangerous(out)
    if out.exists() or out.is_symlink():
        if not force:
            raise OutputRefusedError(f"{out} already exists (use --force to replace it, or --out DIR)")
        check_replaceable(out, layout)


# ------------------------------------------------------------------------------------------ files
def check_file_target(out: Path, *, force: bool, ours: Callable[[Path], bool]) -> None:
    """Fail early for an output file that :func:`write_file` would refuse: an existing path without
    ``force``; with it, anything but a regular file hedgesim wrote (``ours``)."""
    refuse_dangerous(out)
    if not (out.exists() or out.is_symlink()):
        return
    if not force:
        raise OutputRefusedError(f"{out} already exists (use --force to replace it)")
    if out.is_symlink() or not out.is_file():
        kind = "a symbolic link" if out.is_symlink() else "a directory" if out.is_dir() else "not a file"
        raise OutputRefusedError(f"{out} is {kind}; --force replaces only a file hedgesim wrote")
    if not ours(out):
        raise OutputRefusedError(f"{out} was not written by hedgesim; --force never replaces it "
                                 "(use another --out)")


def write_file(out: Path, write: Callable[[Path], None], *, force: bool) -> Path:
    """Write one file: ``write(tmp)`` fills a temporary sibling, which is then linked into place
    (failing if ``out`` appeared meanwhile) or, with ``force``, renamed over it. A failure (a full
    disk) leaves neither a temporary nor a truncated ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out)
    tmp, held = _make_temporary(out)
    try:
        write(tmp)
        if force:
            os.replace(tmp, out)
        else:
            _create(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.close(held)
    return out


def _temporary_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}\.{STAGING_TAG}-[0-9a-f]{{8}}\.tmp")


def _make_temporary(out: Path) -> tuple[Path, int]:
    """A new temporary sibling of ``out`` and a descriptor holding its ``flock`` while it is written,
    so that a later write can tell a killed writer's leftover from a live one's file."""
    for _ in range(100):
        tmp = out.with_name(f".{out.name}.{STAGING_TAG}-{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        fcntl.flock(fd, fcntl.LOCK_EX)
        return tmp, fd
    raise FileExistsError(f"{out.parent}: cannot create a temporary file for {out.name}")


def remove_stale_temporaries(out: Path) -> list[Path]:
    """Remove temporaries of ``out`` left by a killed write (our naming pattern, a regular file, and
    no live writer holding its lock); return what was removed."""
    pattern, removed = _temporary_pattern(out.name), []
    for entry in out.parent.iterdir() if out.parent.is_dir() else ():
        if not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_file():
            continue
        try:
            fd = os.open(entry, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live writer holds it
        finally:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            entry.unlink()
        removed.append(entry)
    return removed


def _create(tmp: Path, out: Path) -> None:
    """Put ``tmp`` at ``out`` only if nothing is there: a hard link fails if ``out`` appeared
    meanwhile; on a filesystem without hard links, a check just before the rename."""
    try:
        os.link(tmp, out)
        return
    except FileExistsError:
        raise OutputRefusedError(f"{out} already exists (use --force to replace it)") from None
    except OSError as exc:
        if exc.errno not in {errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV}:
            raise
    if out.exists() or out.is_symlink():
        raise OutputRefusedError(f"{out} already exists (use --force to replace it)")
    os.rename(tmp, out)


# ------------------------------------------------------------------------------------------ locks
@contextlib.contextmanager
def hold_lock(path: Path, busy: str, error: type[Exception] = OutputRefusedError) -> Iterator[None]:
    """Hold an advisory ``flock`` on ``path`` (created if missing) for the block; raise ``error``
    with the message ``busy`` at once if another process holds it (released when the process ends)."""
    handle = open(path, "a")  # noqa: SIM115 - held for the whole block
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise error(busy) from None
        yield
    finally:
        handle.close()


def machine_failure(exc: OSError) -> bool:
    """Whether an OSError is the machine's failure (full disk, quota, I/O error), not the user's input."""
    return exc.errno in {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.ENOMEM}
