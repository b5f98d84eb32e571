"""The bundled model is joined from its two packages once, checked by size,
and a configured model folder is checked before use."""

import pytest

from transcription.model import MODEL_FILE, ModelError, bundled_model, resolve_model


def test_the_bundled_model_is_joined_once_and_rejoined_when_damaged(tmp_path):
    folder = bundled_model(tmp_path)
    names = sorted(path.name for path in folder.iterdir())
    assert names == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    size = (folder / MODEL_FILE).stat().st_size
    assert size == 145_217_532
    stamp = (folder / MODEL_FILE).stat().st_mtime_ns
    assert bundled_model(tmp_path) == folder and (folder / MODEL_FILE).stat().st_mtime_ns == stamp
    with open(folder / MODEL_FILE, "r+b") as model:
        model.truncate(1000)  # an interrupted copy
    assert (bundled_model(tmp_path) / MODEL_FILE).stat().st_size == size
    assert not list(tmp_path.glob(".*partial"))


def test_an_empty_setting_means_the_bundled_model(tmp_path):
    assert resolve_model("", tmp_path) == tmp_path / "whisper-base"


def test_a_configured_folder_without_a_model_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="no model.bin"):
        resolve_model(str(tmp_path))
    with pytest.raises(ModelError, match="no config.json, model.bin"):
        resolve_model(str(tmp_path / "missing"))
