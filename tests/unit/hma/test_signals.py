"""HMA's signal names and values against Takedown's, checked with python-threatexchange's own
vPDQ parser and PDQ examples, which HMA uses."""

from __future__ import annotations

import json

import pytest
from threatexchange.extensions.vpdq.vpdq import VPDQSignal
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal

from takedown.hma.signals import (
    SIGNALS,
    hma_signal,
    pretty_distance,
    to_hma,
    to_takedown,
)
from takedown.signals.vpdq import parse_frames


def test_names_are_python_threatexchanges_except_vpdq_which_api_md_fixes() -> None:
    assert SIGNALS["pdq"].takedown == "pdq" and PdqSignal.get_name() == "pdq"
    assert SIGNALS["video_md5"].takedown == "md5" and VideoMD5Signal.get_name() == "video_md5"
    assert hma_signal("video_vpdq") is hma_signal(VPDQSignal.get_name()) is SIGNALS["video_vpdq"]
    assert hma_signal("tmk") is None


def test_hma_vpdq_values_convert_both_ways() -> None:
    example = VPDQSignal.get_examples()[0]
    stored = to_takedown(SIGNALS["video_vpdq"], example)
    frames = parse_frames(stored)
    assert [f.frame_number for f in frames] == list(range(len(frames)))
    back = to_hma("vpdq", stored)
    # python-threatexchange's own validator reads what we answer, and it is the same video.
    assert VPDQSignal.validate_signal_str(back) == back
    original = [line.split(",") for line in json.loads(example)]
    answered = [line.split(",") for line in json.loads(back)]
    assert [(h, int(q), float(t)) for h, q, t in original] == [
        (h, int(q), float(t)) for h, q, t in answered
    ]
    for bad in ("", "not json", json.dumps(["zz,100,0.0"]), 7):
        with pytest.raises(ValueError):
            to_takedown(SIGNALS["video_vpdq"], bad)


def test_pdq_values_are_checked_and_made_canonical() -> None:
    example = PdqSignal.get_examples()[0]
    assert to_takedown(SIGNALS["pdq"], example.upper()) == example
    with pytest.raises(ValueError):
        to_takedown(SIGNALS["pdq"], example[:-1])


def test_distances_read_as_hma_prints_them() -> None:
    assert pretty_distance("pdq", 26, None) == "26"
    assert pretty_distance("md5", 0, None) == "0"
    assert pretty_distance("vpdq", 0, (100.0, 49.6)) == "100%[50%]"
