"""YAML -> Scenario: the one door scenarios come in by.

Reads with a safe loader, keeps the file and line of every value (through ``extends:`` too), rejects
unknown keys with the nearest valid one, and reports every problem as
``FILE:LINE: dotted.path: message`` in a :class:`ScenarioError`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import stat
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.bundled import SCENARIOS_DIR, scenario_files
from sim.calendar import Month, coerce_month
from sim.rules import RULES, groups
from sim.scenario.schema import (
    FIRST_START,
    LAST_START,
    MAX_MONTHS,
    SECTIONS,
    Country,
    Scenario,
    section_model,
)
from sim.suggest import near_miss, suggest

Path_ = tuple[str | int, ...]
BUNDLED_DIR = SCENARIOS_DIR  # found through importlib.resources (sim/bundled/__init__.py)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return text.replace("\r", "\\r").replace("\n", "\\n")  # one problem, one line


class ScenarioError(ValueError):
    """Everything wrong with an input file, one :class:`Problem` per line of the message."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# ------------------------------------------------------------------------------------------ YAML
MAX_FILE_BYTES = 1024 * 1024  # 1 MiB: the bundled replay is 3 KB; a larger input file is a mistake
MAX_NODES = 100_000  # YAML nodes one file may hold (counted while composing, before any value is built)
MAX_DEPTH = 64  # nesting of lists and mappings (the schema needs 4)
MAX_EXTENDS = 32  # files in one ``extends:`` chain
ADD_EVENTS = "add_events"  # a key the loader folds into ``events:`` (appends to inherited events)


class _TooLarge(yaml.MarkedYAMLError):
    """A file with more nodes or deeper nesting than the loader reads."""


class _LineLoader(yaml.SafeLoader):
    """Safe loader that counts nodes and nesting as it composes, and stops at the caps.

    PyYAML builds the whole node tree of a document before anything can look at it; counting in
    ``compose_node`` stops a huge or deeply nested file early, before it costs memory or recursion.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.nodes = 0
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.nodes += 1
        self.depth += 1
        try:
            if self.nodes > MAX_NODES:
                raise _TooLarge(problem=f"more than {MAX_NODES:,} values in one file",
                                problem_mark=self.peek_event().start_mark)
            if self.depth > MAX_DEPTH:
                raise _TooLarge(problem=f"lists and mappings nested more than {MAX_DEPTH} deep",
                                problem_mark=self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def read_text(file: Path) -> str:
    """The text of an input file: a regular file of at most :data:`MAX_FILE_BYTES`, in UTF-8.

    Opened without blocking and checked before reading, so a FIFO, a device (``/dev/zero``) or a
    directory is refused at once, and a huge file is refused after reading one byte past the cap.
    """
    display = str(file)
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ScenarioError([Problem(display, 0, "", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(display, 0, "", f"cannot read: {exc.strerror or exc}")]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file (a device, pipe or socket)"
        raise ScenarioError([Problem(display, 0, "", f"{what}; give a YAML file")])
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ScenarioError([Problem(display, 0, "", f"cannot read: {exc.strerror or exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([Problem(display, 0, "", f"larger than {MAX_FILE_BYTES // 1024} KiB, the most "
                                     "an input file may be")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ScenarioError([Problem(display, line, "", f"not UTF-8 text: byte 0x{data[exc.start]:02x} "
                                     f"at column {column} (save the file as UTF-8)")]) from None


def _read_yaml(file: Path) -> tuple[Any, dict[Path_, int]]:
    """Parse ``file``; return the data and the line (1-based) of every value, by path."""
    display = str(file)
    text = read_text(file)
    try:
        node = yaml.compose(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([_syntax_problem(display, exc)]) from None
    except yaml.reader.ReaderError as exc:  # a control character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise ScenarioError([Problem(display, line, "", f"YAML syntax error: the character {char!r} "
                                     f"is not allowed in YAML")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(display, 0, "", f"YAML syntax error: {exc}")]) from None
    if node is None:
        raise ScenarioError([Problem(display, 1, "", "the file is empty")])
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    data = _Converter(display, lines, problems).value(node, ())
    if problems:
        raise ScenarioError(problems)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(display, node.start_mark.line + 1, "",
                                     "the top level must be a mapping of keys to values")])
    return data, lines


def _syntax_problem(display: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    if isinstance(exc, _TooLarge):
        return Problem(display, line, "", f"too large: {exc.problem}")
    message = f"YAML syntax error: {exc.problem or exc.context}"
    if exc.problem and exc.context and exc.problem.startswith("but "):
        message = f"YAML syntax error: {exc.context}, {exc.problem}"
    elif exc.problem and exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
        message += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    return Problem(display, line, "", message)


class _Converter:
    """Composed YAML nodes -> plain Python values, noting the line of every path.

    Problems (duplicate keys, non-scalar keys, values a tag cannot build, recursive or runaway
    aliases) are collected rather than raised, so one read reports them all.
    """

    MAX_VALUES = 100_000  # aliases can expand a small file into a huge tree ("billion laughs")

    def __init__(self, display: str, lines: dict[Path_, int], problems: list[Problem]) -> None:
        self.display, self.lines, self.problems = display, lines, problems
        self.open: set[int] = set()  # ids of the collections being converted (recursion guard)
        self.count = 0

    def problem(self, node: yaml.Node, path: Path_, message: str) -> None:
        self.problems.append(Problem(self.display, node.start_mark.line + 1, _dotted(path), message))

    def value(self, node: yaml.Node, path: Path_) -> Any:
        self.lines[path] = node.start_mark.line + 1
        self.count += 1
        if self.count > self.MAX_VALUES:
            if self.count == self.MAX_VALUES + 1:
                self.problem(node, path, f"more than {self.MAX_VALUES} values (aliases expanding?)")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if node.tag not in _PLAIN_TAGS:
            self.problem(node, path, f"the YAML tag {node.tag!r} is not allowed here")
            return None
        if id(node) in self.open:
            self.problem(node, path, "an alias refers to the value that contains it")
            return None
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.value(v, path + (i,)) for i, v in enumerate(node.value)]
            return self.mapping(node, path)
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for k_node, v_node in node.value:
            if not isinstance(k_node, yaml.ScalarNode):
                self.problem(k_node, path, "a key must be a plain name, not a list or mapping")
                continue
            key = self.scalar(k_node, path)
            if key is _BAD or isinstance(key, (list, dict)):
                continue
            if key in out:
                self.problem(k_node, path + (key,), "duplicate key")
            out[key] = self.value(v_node, path + (key,))
        return out

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        loader = _LineLoader("")
        try:
            return loader.construct_object(node, deep=True)
        except Exception as exc:  # PyYAML's constructors fail in many ways (``!!int ''``)
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problem(node, path, f"cannot read {node.value!r}: {what}")
            return _BAD
        finally:
            loader.dispose()


_BAD = object()  # a scalar that could not be built (its problem is already noted)
_PLAIN_TAGS = (yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,  # lists and mappings take no tags:
               yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG)  # !!python/object/apply is refused


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# ------------------------------------------------------------------------------------------ extends
@dataclass
class Located:
    """Raw scenario data plus, for every path, the file and line it came from."""

    data: dict[str, Any]
    where: dict[Path_, tuple[str, int]]

    def problem(self, path: Path_, message: str) -> Problem:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.where:
                file, line = self.where[path[:cut]]
                return Problem(file, line, _dotted(path), message)
        return Problem("?", 0, _dotted(path), message)


def resolve_path(ref: str, relative_to: Path | None = None) -> Path:
    """A scenario reference: a path, or the name of a bundled scenario (``historical_2013_2024``)."""
    candidates = [Path(ref)]
    if relative_to is not None:
        candidates.insert(0, relative_to / ref)
    for base in ([relative_to] if relative_to else []) + [BUNDLED_DIR]:
        candidates.append(base / f"{ref}.yaml")
    for c in candidates:
        if c.is_file():
            return c
    return candidates[0]


def _load_located(file: Path, chain: tuple[Path, ...] = ()) -> Located:
    data, lines = _read_yaml(file)
    display = str(file)
    where = {path: (display, line) for path, line in lines.items()}
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return _fold_added_events(Located(data, where))
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem(display, lines[("extends",)], "extends",
                                     "must be a scenario name or path")])
    if len(chain) + 1 >= MAX_EXTENDS:
        raise ScenarioError([Problem(display, lines[("extends",)], "extends",
                                     f"an extends chain may hold at most {MAX_EXTENDS} files "
                                     f"(this one starts at {(chain or (file,))[0]})")])
    parent_file = resolve_path(parent_ref, file.parent).resolve()
    if parent_file in chain or parent_file == file.resolve():
        cycle = " -> ".join(p.name for p in (*chain, file.resolve(), parent_file))
        raise ScenarioError([Problem(display, lines[("extends",)], "extends", f"cycle in extends: {cycle}")])
    if not parent_file.is_file():
        raise ScenarioError([Problem(display, lines[("extends",)], "extends",
                                     f"no scenario {parent_ref!r} "
                                     f"(looked beside the file and in {BUNDLED_DIR})")])
    parent = _load_located(parent_file, (*chain, file.resolve()))
    return _fold_added_events(_merge(parent, Located(data, where)))


def _fold_added_events(located: Located) -> Located:
    """``add_events:`` appends to the events a file inherits (``events:`` replaces them), so a what-if
    can add one event to its parent's list without copying the list. Lines stay with each event."""
    added = located.data.pop(ADD_EVENTS, None)
    if added is None:
        return located
    if not isinstance(added, list):
        raise ScenarioError([located.problem((ADD_EVENTS,), "must be a list of events")])
    events = located.data.setdefault("events", [])
    if not isinstance(events, list):
        raise ScenarioError([located.problem(("events",), "must be a list of events")])
    where = {k: v for k, v in located.where.items() if k[:1] != (ADD_EVENTS,)}
    where.setdefault(("events",), located.where.get((ADD_EVENTS,), ("?", 0)))
    for (_, *rest), place in ((k, v) for k, v in located.where.items() if k[:1] == (ADD_EVENTS,)):
        if rest:
            where[("events", len(events) + rest[0], *rest[1:])] = place
    events.extend(added)
    return Located(located.data, where)


def _merge(base: Located, child: Located) -> Located:
    """Child overrides base: mappings merge key by key, anything else (lists too) is replaced."""
    data = copy.deepcopy(base.data)
    where = dict(base.where)

    def walk(dst: dict, src: dict, path: Path_) -> None:
        for key, value in src.items():
            p = path + (key,)
            if isinstance(value, dict) and isinstance(dst.get(key), dict):
                walk(dst[key], value, p)
            else:
                dst[key] = copy.deepcopy(value)
                for k in [k for k in where if k[:len(p)] == p]:
                    del where[k]
            for k, v in child.where.items():
                if k[:len(p)] == p and (not isinstance(value, dict) or k == p):
                    where[k] = v

    walk(data, child.data, ())
    where[()] = child.where.get((), where.get((), ("?", 0)))
    return Located(data, where)


# ------------------------------------------------------------------------------------------ validation
def validation_problems(located: Located, prefix: Path_, exc: ValidationError,
                        model: type[BaseModel]) -> list[Problem]:
    """A pydantic error on ``located`` as :class:`Problem` lines: paths as the file spells them
    (never pydantic's union tags), and an unknown key gets the keys valid at its own place."""
    out = []
    for err in exc.errors():
        loc = _file_path(located.data, prefix, tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")  # our own validators' messages read alone
        if err["type"] == "extra_forbidden":
            inner = _model_at(model, loc[len(prefix):-1])
            valid = [f for f in inner.model_fields if f not in _INTERNAL_FIELDS] if inner else []
            if model is Scenario and len(loc) == 1:
                valid += ["extends", ADD_EVENTS]
            msg = f"unknown key{suggest(str(loc[-1]), valid, 'valid keys')}" if valid else "unknown key"
        elif err["type"] == "missing":
            msg = "required key missing"
        elif err["type"] in ("enum", "literal_error") and isinstance(err.get("input"), str):
            valid = re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected", "")))
            msg = f"{err['input']!r} is not a valid choice{suggest(err['input'], valid, 'valid')}"
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            msg = f"{msg} (got {err['input']!r})"
        out.append(located.problem(loc, msg))
    return out


_INTERNAL_FIELDS = ("source_file",)  # set by the loader, never by a scenario file


def _file_path(data: Any, prefix: Path_, loc: Path_) -> Path_:
    """``prefix + loc`` as the file spells it: pydantic adds parts of its own to a location (a
    union member such as ``list[float]`` or ``Levels``, ``[key]`` for a bad dict key, a validator's
    ``function-after[...]``); keep only keys and indexes the data has, and a missing key's name."""
    node: Any = data
    for part in prefix:
        node = node.get(part) if isinstance(node, dict) else None
    out = list(prefix)
    for part in loc:
        present = (isinstance(node, dict) and part in node
                   or isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if present:
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and re.fullmatch(r"[a-z_][a-z0-9_]*", part) \
                and part not in _PYDANTIC_TAGS:
            node = None  # a required key the data lacks: name it
        else:
            continue
        out.append(part)
    return tuple(out)


_PYDANTIC_TAGS = {"float", "int", "str", "bool", "none", "list", "dict", "tuple", "set", "enum"}


def _model_at(model: type[BaseModel], loc: Path_) -> type[BaseModel] | None:
    """The model whose keys are valid at ``loc`` inside ``model`` (through lists, tuples, dicts and
    optional fields), or None where the place holds no model."""
    annotation: Any = model
    for part in loc:
        annotation = _one_model(annotation)
        origin = typing.get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            annotation = field.annotation
        elif origin in (list, tuple) and isinstance(part, int):
            annotation = typing.get_args(annotation)[0]
        elif origin is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            return None
    annotation = _one_model(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _one_model(annotation: Any) -> Any:
    """``Annotated[X, ...]`` -> X; ``X | None`` -> X; a union holding one model -> that model."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [_one_model(a) for a in typing.get_args(annotation) if a is not type(None)]
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if len(members) == 1 or len(models) == 1:
            return models[0] if models else members[0]
    return annotation


def _validate_agents(located: Located, problems: list[Problem]) -> dict[str, Any]:
    raw = located.data.get("agents") or {}
    if not isinstance(raw, dict):
        problems.append(located.problem(("agents",), "must be a mapping of agent name to parameters"))
        return {}
    from sim.agents import AGENTS, params_model
    core = [c.value for c in Country]
    agents: dict[str, Any] = {}
    for name in core + [k for k in raw if k not in core]:
        values = raw.get(name) or {}
        if not isinstance(name, str) or not name.isidentifier():
            problems.append(located.problem(("agents", name), "agent names must be lowercase identifiers"))
            continue
        if not isinstance(values, dict):
            problems.append(located.problem(("agents", name), "must be a mapping of parameters"))
            continue
        model = params_model(name, values)
        if model is None:
            problems.append(located.problem(("agents", name),
                                            f"unknown agent{suggest(name, list(AGENTS), 'known')}"
                                            "; to add a partner state, give it `type: partner`"))
            continue
        try:
            agents[name] = model.model_validate(values)
        except ValidationError as exc:
            problems.extend(validation_problems(located, ("agents", name), exc, model))
    return agents


def _validate_rules(located: Located, problems: list[Problem]) -> dict[str, Any]:
    raw = located.data.get("rules") or {}
    if not isinstance(raw, dict):
        problems.append(located.problem(("rules",), "must be a mapping of rule id to parameters"))
        return {}
    settings: dict[str, dict] = {rid: {} for rid in RULES}
    where: dict[str, Path_] = {}
    for key, value in raw.items():
        if key in groups():
            if not isinstance(value, dict):
                problems.append(located.problem(("rules", key), "must map each member rule to on/off"))
                continue
            for member, on in value.items():
                if member not in groups()[key]:
                    hint = suggest(str(member), groups()[key], "members")
                    problems.append(located.problem(("rules", key, member), f"not a member of {key}{hint}"))
                elif isinstance(on, dict):  # a member with parameters of its own (since/until)
                    settings[member].update(on)
                    where[member] = ("rules", key, member)
                elif not isinstance(on, bool):
                    problems.append(located.problem(("rules", key, member),
                                                    f"must be on or off, or a mapping of parameters "
                                                    f"(got {on!r})"))
                else:
                    settings[member]["enabled"] = on
                    where[member] = ("rules", key, member)
        elif key in RULES:
            if isinstance(value, bool):
                value = {"enabled": value}
            if not isinstance(value, dict):
                problems.append(located.problem(("rules", key), "must be a mapping of parameters or on/off"))
                continue
            settings[key].update(value)
            where[key] = ("rules", key)
        else:
            hint = suggest(str(key), list(RULES) + list(groups()), "valid rules")
            problems.append(located.problem(("rules", key), f"unknown rule{hint}"))
    rules: dict[str, Any] = {}
    for rid, values in settings.items():
        model = RULES[rid].Params
        try:
            rules[rid] = model.model_validate(values)
        except ValidationError as exc:
            problems.extend(validation_problems(located, where.get(rid, ("rules", rid)), exc, model))
    return rules


def _validate_sections(located: Located, problems: list[Problem]) -> dict[str, Any]:
    """The world's coefficient tables (``actions``, ``dynamics``, ...), each against its model."""
    out: dict[str, Any] = {}
    for name in SECTIONS:
        raw, model = located.data.get(name) or {}, section_model(name)
        if not isinstance(raw, dict):
            problems.append(located.problem((name,), "must be a mapping of coefficient names to values"))
            continue
        try:
            out[name] = model.model_validate(raw)
        except ValidationError as exc:
            problems.extend(validation_problems(located, (name,), exc, model))
    return out


def build_scenario(located: Located, source_file: str | None = None) -> Scenario:
    """Validate merged raw data into a frozen :class:`Scenario`, or raise :class:`ScenarioError`."""
    problems: list[Problem] = []
    agents = _validate_agents(located, problems)
    rules = _validate_rules(located, problems)
    sections = _validate_sections(located, problems)
    data = {k: v for k, v in located.data.items() if k not in ("agents", "rules", *SECTIONS)}
    for key in _INTERNAL_FIELDS:
        if key in data:
            problems.append(located.problem((key,), "unknown key (set by the loader, not by a scenario)"))
            del data[key]
    scenario = None
    try:
        scenario = Scenario.model_validate({**data, "agents": agents, "rules": rules, **sections,
                                            "source_file": source_file})
    except ValidationError as exc:
        problems.extend(validation_problems(located, (), exc, Scenario))
    problems.extend(_check_events(located))
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.file, p.line)))
    assert scenario is not None
    return scenario


def _agent_names(raw: dict[str, Any]) -> list[str]:
    """Every agent a scenario declares, valid parameters or not (so one bad value does not make
    every event of that agent an error too)."""
    from sim.agents import params_model
    agents, core = raw.get("agents"), [c.value for c in Country]
    added = [k for k, v in agents.items() if k not in core and isinstance(v, dict)
             and params_model(k, v) is not None] if isinstance(agents, dict) else []
    return core + added


def _run_span(raw: dict[str, Any]) -> tuple[Month, Month] | None:
    """First and last month of the run, if ``start`` and ``months`` are valid."""
    try:
        start = coerce_month(raw.get("start"))
    except (ValueError, TypeError):
        return None
    months = raw.get("months")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        return None
    if not FIRST_START <= start <= LAST_START:
        return None
    return start, start.plus(months - 1)


def _check_events(located: Located) -> list[Problem]:
    """Cross-checks pydantic cannot make: event dates inside the run, actors that exist.

    Works on the raw data, so it reports alongside every other problem; a value pydantic already
    rejects (a malformed date, a non-text actor) is left to pydantic's message.
    """
    raw, out = located.data, []
    names = _agent_names(raw)
    span = _run_span(raw)

    def check_agent(path: Path_, who: Any) -> None:
        if isinstance(who, str) and who not in names:
            out.append(located.problem(path, f"unknown agent {who!r}{suggest(who, names, 'agents')}"))

    events = raw.get("events")
    for i, event in enumerate(events if isinstance(events, list) else []):
        if not isinstance(event, dict):
            continue
        try:
            date = coerce_month(event.get("date")) if "date" in event else None
        except (ValueError, TypeError):
            date = None
        if span is not None and date is not None and not span[0] <= date <= span[1]:
            out.append(located.problem(("events", i, "date"),
                                       f"{date} is outside the run ({span[0]} to {span[1]})"))
        for role in ("actor", "target"):
            check_agent(("events", i, role), event.get(role))
    random_events = raw.get("random_events")
    for kind, spec in (random_events.items() if isinstance(random_events, dict) else []):
        if isinstance(spec, dict):
            check_agent(("random_events", kind, "actor"), spec.get("actor"))
    return out


# ------------------------------------------------------------------------------------------ public
def load_located(path: str | Path) -> Located:
    return _load_located(resolve_path(str(path)))


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario from a YAML file or a bundled name; raise :class:`ScenarioError` if invalid."""
    file = resolve_path(str(path))
    return build_scenario(_load_located(file), source_file=str(file))


_Stamp = tuple[tuple[str, int, int], ...]  # (file, mtime in ns, size) of every file a scenario read
_LOADED: dict[Path, tuple[_Stamp, Scenario]] = {}


def _stamp(files: list[str]) -> _Stamp | None:
    try:
        return tuple((f, (st := Path(f).stat()).st_mtime_ns, st.st_size) for f in files)
    except OSError:
        return None


def load_scenario_cached(path: str | Path) -> Scenario:
    """:func:`load_scenario`, remembered by path and the modification time (and size) of every file
    it read (``extends:`` parents too), so a caller that evaluates one scenario many times
    (:func:`sim.evaluate` under EMA Workbench) reads it once, and again whenever any file changes."""
    file = resolve_path(str(path)).resolve()
    hit = _LOADED.get(file)
    if hit is not None and _stamp([f for f, _, _ in hit[0]]) == hit[0]:
        return hit[1]
    located = _load_located(file)
    scenario = build_scenario(located, source_file=str(file))
    stamp = _stamp(sorted({f for f, _ in located.where.values()}))
    if stamp is not None:
        _LOADED[file] = (stamp, scenario)
    return scenario


def with_overrides(scenario_or_path: Scenario | str | Path, overrides: dict[str, Any],
                   origin: str = "<overrides>") -> Scenario:
    """A new scenario with values replaced by dotted path (``agents.china.assertiveness``).

    A path that names no scenario value, or a value the schema refuses, raises :class:`ScenarioError`
    before anything runs; its problems name ``origin`` (``--set`` on the command line) as the place.
    """
    if isinstance(scenario_or_path, Scenario):
        base = scenario_or_path
        located = Located(_scenario_to_raw(base), {(): (base.source_file or "<scenario>", 0)})
    else:
        file = resolve_path(str(scenario_or_path))
        located = _load_located(file)
        base = build_scenario(located, str(file))
        located = Located(_scenario_to_raw(base), located.where)
    problems = []
    for dotted, value in overrides.items():
        node, parts = located.data, dotted.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or parts[-1] not in node:
            hint = near_miss(dotted, _dotted_paths(located.data))
            problems.append(Problem(origin, 0, dotted, f"names no value of the scenario{hint}"))
            continue
        node[parts[-1]] = value
        located.where[tuple(parts)] = (origin, 0)  # a refused value is reported as the override's
    if problems:
        raise ScenarioError(problems)
    return build_scenario(located, base.source_file)


def _dotted_paths(data: Any, prefix: tuple[str, ...] = ()) -> list[str]:
    """Every dotted path to a value in nested mappings (``agents.china.assertiveness``)."""
    if isinstance(data, dict):
        return [path for key, value in data.items() for path in _dotted_paths(value, (*prefix, str(key)))]
    return [".".join(prefix)] if prefix else []


def _scenario_to_raw(scenario: Scenario) -> dict[str, Any]:
    raw = scenario.model_dump(mode="json", exclude={"source_file", *SECTIONS})
    for name in SECTIONS:
        raw[name] = getattr(scenario, name).model_dump(mode="json")
    raw["agents"] = {k: v.model_dump(mode="json", exclude_none=True) for k, v in scenario.agents.items()}
    raw["rules"] = {k: v.model_dump(mode="json") for k, v in scenario.rules.items()}
    return raw


def content_hash(scenario: Scenario) -> str:
    """SHA-256 of the resolved scenario (everything that affects a run, not where it came from)."""
    canonical = json.dumps(_scenario_to_raw(scenario), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def bundled_scenarios() -> list[Path]:
    """The scenarios shipped with the package."""
    return scenario_files()
def read_located(file: Path) -> Located:
    """One YAML file (no ``extends:``), read with the safe loader, each value with its file and line.
    Other input files (experiments) use it to report problems the way scenarios do."""
    data, lines = _read_yaml(file)
    return Located(data, {path: (str(file), line) for path, line in lines.items()})


def scenario_value(scenario: Scenario, dotted: str) -> Any:
    """The value at a dotted path of a resolved scenario (``agents.china.assertiveness``);
    raises KeyError when the path names no value."""
    node: Any = _scenario_to_raw(scenario)
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(dotted)
        node = node[part]
    return node


def scenario_paths(scenario: Scenario) -> list[str]:
    """Every dotted path that names one value of the scenario (for sweeps and suggestions)."""
    def leaves(node: Any, prefix: str) -> list[str]:
        if not isinstance(node, dict):
            return [prefix]
        return [p for k, v in node.items() for p in leaves(v, f"{prefix}.{k}" if prefix else str(k))]

    return leaves(_scenario_to_raw(scenario), "")
