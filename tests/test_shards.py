"""A build split across CI machines (`build --shard K/N`, `--list-shards N`): every pack in
exactly one shard, the same split on every machine, balanced by pages, and shards whose
output folders together are the whole build's, byte for byte."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import EPOCH, build, fontconfig, lesson, run, write_tree

from trainkit.loader import fingerprint

ROOT = Path(__file__).resolve().parent.parent


def listing(root: Path, total: int, *args: str) -> list[dict]:
    result = run("--curriculum", root, "build", "--list-shards", str(total), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def packs_of(shard: dict) -> list[tuple[str, str]]:
    return [(pack["profile"], pack["lang"]) for pack in shard["packs"]]


def files(out: Path) -> dict[str, bytes]:
    """Every file of an output folder but the cache, by its path in the folder."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file() and ".cache" not in path.relative_to(out).parts
    }


@pytest.fixture
def varied(tmp_path: Path) -> Path:
    """Six profiles × three languages, lessons of very different lengths, some untranslated."""
    tree = {
        "curriculum.yml": "title: Varied\nsource_language: en\nlanguages: [en, es, fr]\n",
    }
    audiences = ["journalist", "whrd", "journalist, whrd"]
    for number in range(9):
        ident = f"lesson-{number}"
        body = "".join(
            f"## Part {i}\n\n" + "A sentence about keeping notes safe. " * (20 * (number + 1)) + "\n\n" for i in range(number + 1)
        )
        source = tree[f"lessons/{ident}/en.md"] = lesson(body, f"Lesson {number}", audiences=audiences[number % 3])
        if number % 2:  # half the lessons translated, at half the length
            short = body[: len(body) // 2]
            tree[f"lessons/{ident}/es.md"] = f"---\ntitle: Lección {number}\nsource_fingerprint: {fingerprint(source)}\n---\n{short}"
    for number in range(6):
        tree[f"profiles/p{number}.yml"] = f"title: P{number}\naudiences: [{audiences[number % 3]}]\n" + (
            f"exclude: [lesson-{number}]\n" if number > 2 else ""
        )
    return write_tree(tmp_path / "varied", tree)


@pytest.mark.parametrize("total", [1, 2, 3, 5, 8, 25])
def test_every_pack_is_in_exactly_one_shard_and_the_shards_are_balanced(varied, total):
    shards = listing(varied, total)
    assert [s["shard"] for s in shards] == [f"{k}/{total}" for k in range(1, total + 1)]
    dealt = [pack for shard in shards for pack in packs_of(shard)]
    everything = [(f"p{p}", lang) for p in range(6) for lang in ("en", "es", "fr")]
    assert sorted(dealt) == sorted(everything)  # each pack once: none twice, none left out
    single = {pack: s["estimated_pages"] for s in listing(varied, 18) for pack in packs_of(s)}  # one pack per shard
    (whole,) = listing(varied, 1)
    # A lesson two packs of one language share is laid out once per shard that builds them:
    # splitting costs somewhere between nothing and every pack alone.
    assert whole["estimated_pages"] <= sum(s["estimated_pages"] for s in shards) <= sum(single.values())
    loads = [s["estimated_pages"] for s in shards]
    if total <= len(everything):
        # No worse than dealing packs one by one, largest first, to the least loaded shard:
        # the largest shard is at most a fair share plus one pack.
        assert max(loads) <= sum(single.values()) / total + max(single.values()), loads
    else:  # more shards than packs: the largest pack alone sets the pace
        assert max(loads) == max(single.values())
        assert sum(1 for s in shards if not s["packs"]) >= total - len(everything)
    assert all(s["estimated_pages"] == 0 for s in shards if not s["packs"])


def test_the_split_is_the_same_wherever_and_whenever_the_curriculum_lies(varied, tmp_path):
    """Another machine: the curriculum at another path, every file with another time, another working folder."""
    elsewhere = tmp_path / "other" / "checkout" / "curriculum"
    shutil.copytree(varied, elsewhere)
    for path in elsewhere.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    here = listing(varied, 4)
    command = [sys.executable, "-m", "trainkit", "--curriculum", str(elsewhere), "build", "--list-shards", "4", "--json"]
    there = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert there.returncode == 0, there.stderr
    assert json.loads(there.stdout) == here
    assert listing(varied, 4) == here  # and again on this one


def test_the_shards_together_are_the_whole_build_byte_for_byte(mini, tmp_path):
    whole = build(mini, tmp_path / "whole")
    assert whole.exit_code == 0, whole.output
    # The shards run "on other machines": a copy of the curriculum elsewhere, with other file times.
    elsewhere = tmp_path / "runner" / "curriculum"
    shutil.copytree(mini, elsewhere)
    for path in elsewhere.rglob("*"):
        os.utime(path, (1_500_000_000, 1_500_000_000))
    shards = listing(elsewhere, 2)
    union: dict[str, bytes] = {}
    parts: set[str] = set()
    for number in (1, 2):
        out = tmp_path / f"shard-{number}"
        result = build(elsewhere, out, "--shard", f"{number}/2")
        assert result.exit_code == 0, result.output
        made = files(out)
        built = {name.split("/")[0] + "/" + name.split("/")[1] for name in made if name.count("/") >= 2}
        assert built == {f"{p}/{lang}" for p, lang in packs_of(shards[number - 1])}  # its share and nothing else
        assert not set(made) & set(union) - {name for name in made if "/" not in name}  # no pack built twice
        union.update(made)
        parts |= {path.name for path in (out / ".cache" / "parts").iterdir()}
    expected = files(tmp_path / "whole")
    assert sorted(union) == sorted(expected)
    different = [name for name in expected if union[name] != expected[name]]
    assert not different, f"differ from the whole build: {different}"
    # The part cache is keyed by content only: the shards' lessons, laid out from another
    # path with other file times, have the keys the whole build gave them.
    assert parts == {path.name for path in (tmp_path / "whole" / ".cache" / "parts").iterdir()}


def test_a_shard_with_no_packs_builds_nothing_and_says_so(mini, tmp_path):
    result = build(mini, tmp_path / "out", "--shard", "6/6")  # 4 packs, 6 shards
    assert result.exit_code == 0, result.output
    assert "Shard 6/6 has no packs" in result.output
    assert not [p for p in (tmp_path / "out").rglob("manifest.json")]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--shard", "0/2"], "--shard takes K/N with 1 ≤ K ≤ N"),
        (["--shard", "3/2"], "--shard takes K/N"),
        (["--shard", "two"], "--shard takes K/N"),
        (["--shard", "1/2", "--list-shards", "2"], "give one of them"),
        (["--json"], "--json goes with --list-shards"),
        (["--list-shards", "0"], "0 is not in the range"),
    ],
)
def test_shard_options_that_make_no_sense_are_refused(mini, tmp_path, args, message):
    result = build(mini, tmp_path / "out", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_shard_of_selected_packs_splits_only_those(mini, tmp_path):
    shards = listing(mini, 2, "--lang", "es")
    assert sorted(pack for s in shards for pack in packs_of(s)) == [("journalist", "es"), ("whrd", "es")]
    result = build(mini, tmp_path / "out", "--lang", "es", "--shard", "1/2", env=EPOCH)
    assert result.exit_code == 0, result.output
    assert {p.parent.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("manifest.json")} == {
        "/".join(packs_of(shards[0])[0])
    }


def test_the_cache_key_of_the_fonts_is_their_content_not_their_place(tmp_path):
    """Another machine's copy of the same font files, elsewhere and newer: the same key, so a
    part cache restored there (a CI cache) is used; a different font file: another key."""
    from trainkit.fonts import installed_stack
    from trainkit.output import environment_key

    stack = [font.path for font in installed_stack(bold=True)]
    assert len(stack) >= 4
    script = [sys.executable, "-c", "from trainkit.output import environment_key; print(environment_key())"]

    def key_with(folder: Path, fonts: list[Path]) -> str:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **fontconfig(folder, fonts)}
        result = subprocess.run(script, capture_output=True, text=True, env=env, check=True)
        return result.stdout.strip()

    assert key_with(tmp_path / "copy", stack) == environment_key()
    assert key_with(tmp_path / "fewer", stack[1:]) != environment_key()


def test_packs_of_one_language_gather_on_one_machine_when_that_keeps_the_shards_even(varied):
    """Two languages' packs on two machines: each machine lays out one language's lessons once."""
    shards = listing(varied, 2, "--lang", "en", "--lang", "fr")  # French falls back to the English text: equal loads
    assert [sorted({lang for _, lang in packs_of(s)}) for s in shards] == [["en"], ["fr"]]
    assert shards[0]["estimated_pages"] == shards[1]["estimated_pages"]


def test_a_build_checks_the_languages_it_makes_packs_in_and_check_checks_all(mini, tmp_path):
    """A character no font draws in the Spanish text stops Spanish packs and `check`, not
    an English-only build or a shard with no Spanish pack: their machines skip that work."""
    from support import EPOCH, run

    spanish = mini / "lessons" / "alpha" / "es.md"
    spanish.write_text(spanish.read_text(encoding="utf-8").replace("Punto uno", "Punto uno \U000f0001"), encoding="utf-8")
    assert run("--curriculum", mini, "check").exit_code == 1
    english = run("--curriculum", mini, "build", "--lang", "en", "--out", tmp_path / "en", env=EPOCH)
    assert english.exit_code == 0, english.output
    spanish_build = run("--curriculum", mini, "build", "--lang", "es", "--out", tmp_path / "es", env=EPOCH)
    assert spanish_build.exit_code == 1 and "es.md" in spanish_build.output
    assert not (tmp_path / "es" / "whrd" / "es").exists()
