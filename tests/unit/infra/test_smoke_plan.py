"""The real-account smoke script's argument handling and dry run (the run itself needs an AWS account)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.smoke import ROOT, deploy_command, main, parse_args, plan


def test_defaults_take_three_sample_images_and_delete_everything() -> None:
    options = parse_args(["--stack", "rf-smoke", "--region", "eu-west-1"])
    assert (options.stack, options.region, options.keep, options.dry_run) == (
        "rf-smoke",
        "eu-west-1",
        False,
        False,
    )
    assert len(options.images) == 3 and all(p.parent == ROOT / "samples" / "receipts" for p in options.images)
    steps = plan(options)
    assert any(step.endswith("--no-prompts") and "delete --stack-name rf-smoke" in step for step in steps)


def test_deploy_passes_the_pool_and_extra_parameters() -> None:
    options = parse_args(["--stack", "s", "--region", "us-east-1", "--parameter", "TextractTps=10"])
    command = deploy_command(options, "https://issuer", "client-id")
    tail = command[command.index("--parameter-overrides") + 1 :]
    assert tail == ["JwtIssuer=https://issuer", "JwtAudience=client-id", "TextractTps=10"]
    assert "--no-confirm-changeset" in command and "CAPABILITY_IAM" in command


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--region", "us-east-1"], "--stack"),
        (["--stack", "s", "--region", "us-east-1", "--parameter", "novalue"], "KEY=VALUE"),
        (["--stack", "s", "--region", "us-east-1", "--count", "0"], "--count"),
    ],
)
def test_bad_arguments_are_refused(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert message in capsys.readouterr().err


def test_no_region_is_refused(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    with pytest.raises(SystemExit):
        parse_args(["--stack", "s"])
    assert "region" in capsys.readouterr().err


def test_a_folder_without_images_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(SystemExit):
        parse_args(["--stack", "s", "--region", "us-east-1", "--images", str(tmp_path)])
    assert "no images" in capsys.readouterr().err


def test_dry_run_prints_the_plan_and_touches_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "s", "--region", "us-east-1", "--dry-run", "--keep", "--count", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. create Cognito user pool") and "keep the stack" in out and "delete" not in out
