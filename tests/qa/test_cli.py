"""``callcenter qa score`` on a recording (the real model), a transcript file and bad files;
``callcenter qa add-script`` storing versions."""

import json
import shutil

import pytest

from click.testing import CliRunner

from callcenter.cli import main
from tests.support.data import CORPUS

SCRIPT = "qa/scripts/realty-inbound.yaml"


def run(tmp_path, *args: str):
    env = {"CALLCENTER_CONFIG": str(tmp_path / "none.toml"), "CALLCENTER_DATA_DIR": str(tmp_path / "data")}
    return CliRunner().invoke(main, list(args), env=env)


def test_a_recording_and_a_transcript_are_scored_and_bad_files_reported(tmp_path):
    recording = tmp_path / "call003.wav"
    shutil.copyfile(CORPUS / "call003.wav", recording)
    truth = json.loads((CORPUS / "call003.json").read_text())
    transcript = tmp_path / "call003.json"
    transcript.write_text(json.dumps({"file": "call003.wav", "lines": truth["turns"]}, ensure_ascii=False))
    not_json = tmp_path / "notes.json"
    not_json.write_text("{this is not json")
    not_a_transcript = tmp_path / "list.json"
    not_a_transcript.write_text('[{"speaker": "client"}]')
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    result = run(tmp_path, "qa", "score", "--script", SCRIPT, str(recording), str(not_json), str(transcript),
                 str(not_a_transcript), str(broken))
    assert result.exit_code == 1  # three files failed; the others were still scored
    assert "notes.json: not valid JSON" in result.stderr
    assert "list.json: line 1: no start, end, text" in result.stderr
    assert "broken.wav: " in result.stderr
    heard, written = [json.loads(line) for line in result.stdout.splitlines()]
    assert (heard["file"], written["file"]) == (str(recording), "call003.wav")  # the recording it names
    assert written["score"]["total"] == 100.0 and written["score"]["passed"]
    assert {fact["field"]: fact["value"] for fact in written["lead_card"]} == {
        "name": "Иван", "source": "Радио", "rooms": "двухкомнатная"}
    found = {item["id"] for item in heard["score"]["items"] if item["found"] and item["kind"] != "metric"}
    assert found == set(truth["stages"])  # the model's transcript finds the same stages
    greeting = next(item for item in heard["score"]["items"] if item["id"] == "greeting")
    assert greeting["evidence"]["speaker"] == "manager" and greeting["evidence"]["start"] < 2


@pytest.mark.parametrize("content, problem", [
    ('{"lines": [{"speaker": "client", "start": "0:01", "end": 2, "text": "Алло"}]}',
     "line 1: start and end must be seconds"),
    ('{"lines": [{"speaker": "client", "start": 3, "end": 2, "text": "Алло"}]}', "line 1: end 2 before start 3"),
    ('{"lines": [{"speaker": "", "start": 0, "end": 2, "text": "Алло"}]}', "line 1: speaker must be a name"),
    ('{"lines": [{"speaker": "client", "start": 0, "end": 2, "text": null}]}', "line 1: text must be a string"),
    ('{"lines": []}\n{"lines": 5}\n', "transcript 2: not a transcript"),
    ("", "empty: no transcript in it"),
])
def test_a_transcript_file_that_is_wrong_says_where(tmp_path, content, problem):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run(tmp_path, "qa", "score", "--script", SCRIPT, str(bad))
    assert result.exit_code == 1 and f"bad.json: {problem}" in result.stderr, result.stderr


def test_a_broken_script_is_refused_before_any_file(tmp_path):
    script = tmp_path / "script.yaml"
    script.write_text("name: t\nitems: []\n")
    result = run(tmp_path, "qa", "score", "--script", str(script), str(CORPUS / "call003.json"))
    assert result.exit_code == 2 and "items: List should have at least 1 item" in result.output


def test_add_script_stores_the_next_version(tmp_path):
    assert run(tmp_path, "qa", "add-script", SCRIPT).output.strip().startswith("realty-inbound version 1 is active")
    assert run(tmp_path, "qa", "add-script", SCRIPT).output.strip().startswith("realty-inbound version 2 is active")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [")
    result = run(tmp_path, "qa", "add-script", str(broken))
    assert result.exit_code == 2 and "not valid YAML" in result.output
