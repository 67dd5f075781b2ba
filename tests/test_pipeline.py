"""The blank spaCy pipeline and its cue files."""
from pathlib import Path

import pytest

from bot import pipeline
from bot.taxonomy import NEED_IDS, PRESENTING_ISSUES, RISK_IDS


def test_every_cue_file_entry_names_a_known_id():
    for pattern in pipeline.load_cue_patterns():
        valid = {"need": NEED_IDS, "risk": RISK_IDS, "presenting_issue": set(PRESENTING_ISSUES) - {"other"},
                 **{m: (m,) for m in pipeline.MARKERS}}[pattern["label"]]
        assert pattern["id"] in valid, pattern


def test_every_need_and_risk_has_rule_cues():
    patterns = pipeline.load_cue_patterns()
    assert {p["id"] for p in patterns if p["label"] == "need"} == set(NEED_IDS)
    assert {p["id"] for p in patterns if p["label"] == "risk"} == set(RISK_IDS)


def test_lemma_cues_match_other_forms_of_a_word(tmp_path: Path):
    import spacy

    cues = tmp_path / "cues"
    cues.mkdir()
    (cues / "needs.yml").write_text("need:\n  substance_use:\n    lemmas: [drink heavily]\n"
                                    "  housing_conditions:\n    phrases: [black mould]\n")
    nlp = spacy.load(pipeline.build(tmp_path / "nlp", cues))
    doc = nlp("He DRANK heavily, and there's Black Mould everywhere")
    found = {(s.label_, s.id_, s.text) for s in doc.spans[pipeline.SPANS_KEY]}
    assert found == {("need", "substance_use", "DRANK heavily"),
                     ("need", "housing_conditions", "Black Mould")}


def test_a_need_and_a_risk_may_share_words(nlp):
    doc = nlp("he hits me when he's drunk and i'm scared he'll kill me tonight")
    labels = {s.label_ for s in doc.spans[pipeline.SPANS_KEY]}
    assert "risk" in labels and "need" in labels


def test_a_malformed_cue_file_is_refused_with_its_name(tmp_path: Path):
    (tmp_path / "bad.yml").write_text("need:\n  benefits:\n    phrase: [uc]\n")
    with pytest.raises(pipeline.CueFileError, match="bad.yml.*unknown keys"):
        pipeline.load_cue_patterns(tmp_path)


def test_a_bare_on_in_a_pattern_is_refused_because_yaml_reads_it_as_true(tmp_path: Path):
    (tmp_path / "bad.yml").write_text(
        "presenting_issue:\n  rent_arrears:\n    patterns:\n"
        "      - [{LOWER: behind}, {LOWER: {IN: [on, with]}}, {LOWER: rent}]\n")
    with pytest.raises(pipeline.CueFileError, match="bad.yml.*quote it"):
        pipeline.load_cue_patterns(tmp_path)


def test_the_fingerprint_follows_the_cue_files(tmp_path: Path):
    (tmp_path / "a.yml").write_text("need:\n  benefits:\n    phrases: [uc]\n")
    before = pipeline.cues_fingerprint(tmp_path)
    (tmp_path / "a.yml").write_text("need:\n  benefits:\n    phrases: [uc, pip]\n")
    assert pipeline.cues_fingerprint(tmp_path) != before
