"""``callcenter transcribe`` on real files, its transcripts scored by ``callcenter qa score`` (the chain),
and ``callcenter worker``'s refusal without a shared Redis."""

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


def test_transcripts_written_to_a_folder_and_printed_as_json_lines_are_scored(tmp_path):
    env = {"CALLCENTER_CONFIG": str(tmp_path / "none.toml")}
    first, second = tmp_path / "a" / "call006.wav", tmp_path / "b" / "call006.wav"  # the same name twice
    for copy in (first, second):
        copy.parent.mkdir()
        shutil.copyfile(CORPUS / "call006.wav", copy)
    written = CliRunner().invoke(main, ["transcribe", "--out", str(tmp_path / "out"), str(first), str(second)], env=env)
    assert written.exit_code == 0, written.output
    files = [tmp_path / "out" / "call006.json", tmp_path / "out" / "call006-2.json"]
    assert written.stdout.split() == [str(path) for path in files]
    assert json.loads(files[0].read_text())["file"] == str(first)
    lines = tmp_path / "all.jsonl"
    lines.write_text(CliRunner().invoke(main, ["transcribe", "--json", str(first), str(second)], env=env).stdout)

    scored = CliRunner().invoke(main, ["qa", "score", "--script", "qa/scripts/realty-inbound.yaml",
                                       str(files[0]), str(files[1]), str(lines)], env=env)
    assert scored.exit_code == 0, scored.output
    results = [json.loads(row) for row in scored.stdout.splitlines()]
    assert [result["file"] for result in results] == [str(first), str(second), str(first), str(second)]
    assert len({result["score"]["total"] for result in results}) == 1  # one call, transcribed four times alike


def test_a_separate_worker_needs_the_shared_redis(tmp_path):
    env = {"CALLCENTER_CONFIG": str(tmp_path / "none.toml"), "REDIS_URL": ""}
    result = CliRunner().invoke(main, ["worker"], env=env)
    assert result.exit_code == 2 and "REDIS_URL" in result.output
