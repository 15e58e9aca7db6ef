"""The example CI definitions (examples/ci/) run the commands README gives, with options
that exist, and split the build into the shards their matrix declares."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from trainkit.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "ci"


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def readme_commands(title: str) -> set[str]:
    """The `trainkit …` commands in a README section's code blocks, comments dropped."""
    blocks = re.findall(r"```sh\n(.*?)```", readme_section(title), re.S)
    return {line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.startswith("trainkit ")}


def shell_lines(workflow: object) -> list[str]:
    """Every line of every `run:` (GitHub) or `script:` (GitLab) in a CI definition."""
    found: list[str] = []
    if isinstance(workflow, dict):
        for key, value in workflow.items():
            if key in ("run", "script", "before_script"):
                for text in value if isinstance(value, list) else [value]:
                    found += [line.strip() for line in str(text).splitlines()]
            else:
                found += shell_lines(value)
    elif isinstance(workflow, list):
        for item in workflow:
            found += shell_lines(item)
    return found


def trainkit_commands(path: Path) -> list[str]:
    """The workflow's trainkit commands with its CI variables written as README writes them."""
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    commands = [line for line in shell_lines(workflow) if line.startswith("trainkit ")]
    normal = {r"\$\{\{ matrix\.shard \}\}": "K", r"\$CI_NODE_INDEX": "K", r"\$SHARDS": "N", r"\$CI_NODE_TOTAL": "N"}
    for pattern, replacement in normal.items():
        commands = [re.sub(pattern, replacement, command) for command in commands]
    return commands


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_every_trainkit_command_of_an_example_is_one_the_readme_gives(name):
    commands = trainkit_commands(EXAMPLES / name)
    assert {"trainkit doctor", "trainkit check --strict", "trainkit build --shard K/N"} <= set(commands)
    assert set(commands) <= readme_commands("Building many languages in CI")
    for command in commands:  # and each parses: no option the CLI does not have
        args = [a if a != "K/N" else "1/2" for a in shlex.split(command)[1:]]
        result = CliRunner().invoke(main, [*args[:1], "--help"])
        assert result.exit_code == 0, command
        for option in (a for a in args if a.startswith("--")):
            assert option in result.output, f"{command}: {option} is not an option of trainkit {args[0]}"


def test_the_examples_cache_the_part_cache_and_keep_the_packs():
    github = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    build = github["jobs"]["build"]
    shards = build["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(github["env"]["SHARDS"]) + 1))  # the matrix covers 1..N, once each
    steps = {step.get("uses", "").split("@")[0]: step for step in build["steps"]}
    assert steps["actions/cache"]["with"]["path"] == "output/.cache"
    assert "!output/.cache/" in steps["actions/upload-artifact"]["with"]["path"]
    assert any("SOURCE_DATE_EPOCH" in line for line in shell_lines(build))
    assert github["jobs"]["release"]["if"].startswith("startsWith(github.ref, 'refs/tags/')")

    gitlab = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gitlab["packs"]["cache"]["paths"] == ["output/.cache/"]
    assert gitlab["packs"]["parallel"] >= 2
    assert any("SOURCE_DATE_EPOCH" in line for line in shell_lines(gitlab["packs"]))
    assert "output/.cache" in readme_section("Building many languages in CI")
