"""Sources: one table (sim/sources.py), the docs written from it, every citation resolvable, and a
CITATION.cff that validates against the Citation File Format 1.2.0 schema."""

from __future__ import annotations

import json
import re
import subprocess

import jsonschema
import pytest
import yaml

from sim.sources import BY_KEY, REFERENCES, bibtex, cited_keys, markdown, readable
from tests.conftest import ROOT

# A citation key as the project writes them: [Kuik2008], [LeHongHiep2013], [SIPRI].
KEY_LIKE = re.compile(r"\[([A-Z][A-Za-z]+\d{4}[a-z]?|SIPRI)\]")
CFF_SCHEMA = ROOT / "tests" / "data" / "cff-schema-1.2.0.json"  # from cffconvert 2.0.0 (Apache-2.0)


def _tracked_text_files() -> list:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    files = [ROOT / f for f in out.split("\0") if f]
    return [f for f in files if f.is_file() and not f.is_symlink()
            and f.suffix in {".py", ".md", ".yaml", ".toml", ".cff", ".bib", ".txt", ""}]


@pytest.mark.parametrize(("name", "render"), [("references.bib", bibtex), ("references.md", markdown)])
def test_docs_are_written_from_the_table(name, render) -> None:
    current = (ROOT / "docs" / name).read_text(encoding="utf-8")
    assert current == render(), f"docs/{name} is stale: run python -m sim.sources"


def test_every_reference_has_what_a_reader_needs() -> None:
    assert len(BY_KEY) == len(REFERENCES), "duplicate keys"
    for ref in REFERENCES:
        assert ref.title and ref.outlet and ref.short, ref.key
        assert ref.year or ref.key == "SIPRI", f"{ref.key}: no year"
        assert ref.authors or ref.note, f"{ref.key}: no author, and no note saying none is named"
        assert ref.used_for, f"{ref.key}: what is it cited for?"


def test_the_five_articles_and_the_named_sources_are_listed() -> None:
    wanted = {"VOA2023", "Grossman2023", "SCMP2023", "Heydarian2022", "Diplomat2023", "Kuik2008", "Kuik2016",
              "Kuik2021", "LeHongHiep2013", "Thayer2011", "Womack2006", "DWP2019", "SIPRI", "Grimm2005",
              "Grimm2006", "Grimm2010", "Grimm2020"}
    assert wanted <= set(BY_KEY)


def test_every_citation_in_the_repository_names_a_listed_source() -> None:
    unknown = {}
    for file in _tracked_text_files():
        for key in KEY_LIKE.findall(file.read_text(encoding="utf-8", errors="replace")):
            if key not in BY_KEY:
                unknown.setdefault(key, file.relative_to(ROOT).as_posix())
    assert unknown == {}, f"cited but not in sim/sources.py: {unknown}"


def test_cited_keys_and_readable_names() -> None:
    assert cited_keys("Four Nos [SCMP2023]; [DWP2019], again [SCMP2023]; [four_nos]") == ["SCMP2023", "DWP2019"]
    assert readable("Diplomat2023") == "[Diplomat2023] The Diplomat, Dec 2023"


def test_citation_cff_validates_against_the_schema() -> None:
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(citation, schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{citation["version"]}"' in pyproject, "CITATION.cff and pyproject.toml disagree"


def test_a_broken_citation_cff_is_caught() -> None:
    """The validation above can fail: a wrong type and an unknown key are both rejected."""
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    schema = json.loads(CFF_SCHEMA.read_text(encoding="utf-8"))
    for broken in ({**citation, "authors": "someone"}, {**citation, "licence": "MIT"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


# An article cited by its file number, or a path into the folder the project was started from, which
# a clone does not have. Spelled so that this file does not match itself.
OUTSIDE = re.compile(r"\.\./shared|shared/seed[s]|\bseeds? 00\d", re.IGNORECASE)


def test_no_file_cites_an_article_by_number_or_a_path_outside_the_repository() -> None:
    offenders = [f"{file.relative_to(ROOT).as_posix()}:{n}: {line.strip()[:90]}"
                 for file in _tracked_text_files()
                 for n, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
                 if OUTSIDE.search(line)]
    assert offenders == [], "cite by key ([Diplomat2023]; docs/references.md):\n" + "\n".join(offenders)


def test_the_outside_citation_check_can_fail() -> None:
    seed, shared = "seed", "shared"  # split so that this file does not cite what it forbids
    for bad in (f"HD-981 ({seed} 004)", f"see {seed}s 000, 002", f"../{shared}/domain.md", f"in {shared}/seeds/"):
        assert OUTSIDE.search(bad), bad
    for fine in ("[Diplomat2023]", "seed 2013", "root seed 7", "seeds=[1, 2]"):
        assert not OUTSIDE.search(fine), fine


def test_hedgesim_list_names_every_source_the_rules_cite() -> None:
    from sim.rules import RULES
    from tests.test_cli import run_cli

    keys = cited_keys(" ".join(cls.source for cls in RULES.values()))
    assert keys, "the policy rules cite no source by key"
    listing = run_cli("list").stdout
    for key in keys:
        assert readable(key) in listing, key
