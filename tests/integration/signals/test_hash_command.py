"""`takedown hash FILE...` prints each file's signals offline and fails clearly on bad files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from takedown.cli.main import app
from takedown.signals.hashing import hash_media
from tests.support.synthetic_media import encoded, scene_frames, synthetic_image, video_bytes


def test_hash_prints_one_json_object_per_file(tmp_path: Path) -> None:
    image = tmp_path / "picture.png"
    image.write_bytes(encoded(synthetic_image(21)))
    video = tmp_path / "clip.mp4"
    video.write_bytes(video_bytes(scene_frames(22, 2, 5), 5))

    result = CliRunner().invoke(app, ["hash", str(image), str(video)])

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["kind"] for line in lines] == ["image", "video"]
    assert lines[0]["pdq"] == hash_media(image.read_bytes()).pdq
    assert set(lines[0]) == {"file", "kind", "pdq", "pdq_quality", "md5", "sha256", "orb"}
    assert lines[0]["orb"] == hash_media(image.read_bytes()).extra["orb"]
    assert set(lines[1]) == {"file", "kind", "vpdq", "md5", "sha256"}
    assert all(len(feature.split(",")) == 4 for feature in lines[1]["vpdq"])


def test_bad_files_get_one_line_each_and_a_failing_exit(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(encoded(synthetic_image(23)))
    text = tmp_path / "notes.jpg"
    text.write_text("just words\n")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")

    result = CliRunner().invoke(
        app, ["hash", str(text), str(good), str(empty), str(tmp_path / "missing.png")]
    )

    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1  # the good file is still hashed
    errors = result.stderr.splitlines()
    assert len(errors) == 3
    assert "notes.jpg" in errors[0] and "not an image or video" in errors[0]
    assert "empty.png" in errors[1] and "empty" in errors[1]
