"""The README's CI recipes are real: their YAML parses, their TOML validates, their commands run."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from kcheck.domain.errors import InputError
from kcheck.inputs.validate import validate
from tests.ci_common import run_kcheck
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
CI = README[README.index("\n## CI\n"):README.index("\n## JSON report\n")]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", CI, re.DOTALL)


def test_github_workflow_uploads_sarif() -> None:
    workflow = next(yaml.safe_load(b) for b in blocks("yaml") if "upload-sarif" in b)
    steps = workflow["jobs"]["kcheck"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert uses[:2] == ["actions/checkout", "actions/setup-python"]
    assert uses[-1] == "github/codeql-action/upload-sarif"
    run = next(step["run"] for step in steps if "kcheck check" in step.get("run", ""))
    assert "--format sarif --output kcheck.sarif" in run
    assert steps[-1]["with"]["sarif_file"] == "kcheck.sarif"
    assert workflow["permissions"]["security-events"] == "write"


def test_gitlab_job_publishes_junit() -> None:
    job = next(yaml.safe_load(b) for b in blocks("yaml") if "reports:" in b)["kcheck"]
    assert job["artifacts"]["reports"]["junit"] == "kcheck-junit.xml"
    assert any("--format junit --output kcheck-junit.xml" in line for line in job["script"])


def test_jenkins_and_pre_commit_recipes() -> None:
    jenkins, = blocks("groovy")
    assert "junit 'kcheck-junit.xml'" in jenkins
    config = next(yaml.safe_load(b) for b in blocks("yaml") if "hooks:" in b)
    assert config["repos"][0]["hooks"][0]["id"] == yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())[0]["id"]


@pytest.mark.parametrize(("marker", "schema"), [("[[waiver]]", "waivers.schema.json"),
                                               ("[[target]]", "manifest.schema.json")])
def test_toml_examples_validate(marker: str, schema: str) -> None:
    example = next(b for b in blocks("toml") if marker in b)
    validate(tomllib.loads(example), schema, "README")


def test_the_manifest_example_is_the_shipped_fixture() -> None:
    example = next(b for b in blocks("toml") if "[[target]]" in b)
    shipped = tomllib.loads((ROOT / "fixtures/ci/manifest.toml").read_text())
    assert tomllib.loads(example) == shipped


def test_fail_on_table_matches_the_options() -> None:
    table = CI[CI.index("### `--fail-on`"):CI.index("### GitHub Actions")]
    documented = re.findall(r"^\| `(\w+)`", table, re.MULTILINE)
    help_text = run_kcheck("check", "--help").stdout
    assert documented == ["error", "warning", "info", "never"]
    assert "error|warning|info|never" in help_text.replace("\n", "").replace(" ", "")


def test_a_bad_example_would_be_caught() -> None:
    with pytest.raises(InputError):
        validate({"waiver": [{"rule": "KX008"}]}, "waivers.schema.json", "README")


def test_recipes_install_kcheck_from_its_repository_at_the_release_tag() -> None:
    """kcheck is not on PyPI: no recipe may say ``pip install kcheck`` (issue 14), and every
    install and the pre-commit ``rev:`` name the tag of this version."""
    import subprocess

    from kcheck import __version__

    tag = f"v{__version__}"
    # "pip install kcheck" or 'kcheck[fleet]' from an index; "kcheck[fleet] @ git+..." is fine
    assert not re.search(r"pip install ['\"]?kcheck(\[[^\]]*\])?+(?![\w-]|\s*@)", README)
    installs = re.findall(r"pip install \"git\+<kcheck repository URL>@([^\"]+)\"", CI)
    assert len(installs) >= 3 and set(installs) == {tag}
    config = next(yaml.safe_load(b) for b in blocks("yaml") if "hooks:" in b)
    assert config["repos"][0]["rev"] == tag
    tags = subprocess.run(["git", "-C", str(ROOT), "tag", "--list", tag], capture_output=True, text=True)
    if tags.returncode == 0 and tags.stdout.strip():  # once the release is tagged, it carries the hook
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{tag}:.pre-commit-hooks.yaml"],
                               capture_output=True, text=True)
        assert shown.returncode == 0 and "id: kcheck" in shown.stdout
