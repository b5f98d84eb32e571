"""``callcenter transcribe`` on real files, and ``callcenter worker``'s refusal without a shared Redis."""

import json
import shutil

from click.testing import CliRunner

from callcenter.cli import main
from tests.support.data import CORPUS


def test_transcribe_prints_each_files_dialogue_and_reports_a_bad_one(tmp_path):
    good = tmp_path / "call006.wav"
    shutil.copyfile(CORPUS / "call006.wav", good)
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    env = {"CALLCENTER_CONFIG": str(tmp_path / "none.toml")}
    result = CliRunner().invoke(main, ["transcribe", "--json", str(bad), str(good)], env=env)
    assert result.exit_code == 1  # one file failed; the other was still transcribed
    assert "broken.wav: " in result.stderr
    [dialogue] = [json.loads(line) for line in result.stdout.splitlines()]
    assert dialogue["file"] == str(good)
    speakers = [line["speaker"] for line in dialogue["lines"]]
    assert speakers[0] == "manager" and set(speakers) == {"client", "manager"}
    assert any("проблем" in line["text"].lower() for line in dialogue["lines"] if line["speaker"] == "manager")


def test_transcribe_as_text(tmp_path):
    env = {"CALLCENTER_CONFIG": str(tmp_path / "none.toml")}
    result = CliRunner().invoke(main, ["transcribe", str(CORPUS / "call006.wav")], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"== {CORPUS / 'call006.wav'}\n[00:")
    assert "] manager: " in result.stdout and "] client: " in result.stdout


def test_a_separate_worker_needs_the_shared_redis(tmp_path):
    env = {"CALLCENTER_CONFIG": str(tmp_path / "none.toml"), "REDIS_URL": ""}
    result = CliRunner().invoke(main, ["worker"], env=env)
    assert result.exit_code == 2 and "REDIS_URL" in result.output
