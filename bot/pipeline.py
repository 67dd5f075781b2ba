"""Build the blank English spaCy pipeline that carries the need, risk and presenting-issue cue rules.

spaCy's pretrained English pipelines cannot be installed here and nothing may be downloaded
at run time, so set-up builds a blank pipeline: tokenizer, lookup lemmatizer (tables from the
spacy-lookups-data package) and a SpanRuler holding the cues of `bot/cues/*.yml`. A SpanRuler
rather than an EntityRuler because one phrase can be both a need and a risk ("he hits me"),
and spans in a span group may overlap where entities may not.

Run: python -m bot.pipeline [OUTPUT_DIR]   (default: settings.spacy_model_path())
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import yaml

from bot import settings

CUES_DIR = Path(__file__).resolve().parent / "cues"
SPANS_KEY = "cues"
LABELS = ("need", "risk", "presenting_issue")
VETO = "veto"
# An idiom ("i'm kicking myself", "my mum will kill me") vetoes like a veto span, and also tells
# CueEntityExtractor that a learned risk reading of its sentence rests on the figure of speech.
IDIOM = "idiom"
# Time that puts a risk cue of the same sentence in the past ("when i was 19", "in 2021"), unless
# the sentence also says now ("again", "still", "tonight"): see CueEntityExtractor.
PAST = "past"
NOW = "now"
# Somewhere to stay for now ("i'm staying at my sister's"): the message's homeless_tonight rule
# cues are not acted on unless it also says now (see CueEntityExtractor).
SHELTERED = "sheltered"
# Someone said to be safe now ("my sister's in a refuge now and she's safe"): a learned reading of
# danger from someone, or of a child at risk, is asked about rather than acted on (see
# CueEntityExtractor). Rule cues still stand.
SAFE = "safe"
MARKERS = (VETO, IDIOM, PAST, NOW, SHELTERED, SAFE)
PIPELINE_NAME = "en_triage"


class CueFileError(ValueError):
    """A cue file that does not follow the format of docs/nlu-spec.md."""


def _lemma_pattern(sequence: str) -> List[Dict[str, Any]]:
    return [{"LEMMA": word} for word in sequence.lower().split()]


def _inflect(pattern: List[Dict[str, Any]], forms: Dict[str, Set[str]]) -> List[Dict[str, Any]]:
    """Turn LEMMA conditions into LOWER conditions over every form with that lemma.

    The lookup lemmatizer is case-sensitive ("DRANK" keeps "DRANK" as its lemma), and residents
    write in capitals often enough; matching on the lowercase word against all forms that the
    same lookup table maps to the lemma ("drink" -> drink, drinks, drank, drinking, drunk)
    is case-proof and needs no custom code when Rasa loads the pipeline.
    """
    inflected = []
    for token in pattern:
        token = dict(token)
        lemma = token.pop("LEMMA", None)
        if lemma is not None:
            lemmas = lemma["IN"] if isinstance(lemma, dict) and "IN" in lemma else [lemma]
            words = set()
            for word in lemmas:
                words |= forms.get(str(word).lower(), set()) | {str(word).lower()}
            token["LOWER"] = {"IN": sorted(words)}
        inflected.append(token)
    return inflected


def _forms_by_lemma() -> Dict[str, Set[str]]:
    """lemma -> its word forms, from the English lookup table the lemmatizer itself uses."""
    import srsly
    from spacy_lookups_data import get_file

    table = srsly.read_gzip_json(get_file("en_lemma_lookup.json.gz"))
    forms: Dict[str, Set[str]] = {}
    for form, lemma in table.items():
        if isinstance(form, str) and isinstance(lemma, str):
            forms.setdefault(lemma.lower(), set()).add(form.lower())
    return forms


def _entries(label: str, ident: str, spec: Dict[str, Any], source: Path) -> Iterator[Dict[str, Any]]:
    if not isinstance(spec, dict):
        raise CueFileError(f"{source}: {label}.{ident} must be a mapping of phrases/lemmas/patterns")
    unknown = set(spec) - {"phrases", "lemmas", "patterns"}
    if unknown:
        raise CueFileError(f"{source}: {label}.{ident} has unknown keys {sorted(unknown)}")
    for phrase in spec.get("phrases") or []:
        yield {"label": label, "id": ident, "pattern": str(phrase).lower()}
    for sequence in spec.get("lemmas") or []:
        yield {"label": label, "id": ident, "pattern": _lemma_pattern(str(sequence))}
    for pattern in spec.get("patterns") or []:
        if not isinstance(pattern, list):
            raise CueFileError(f"{source}: {label}.{ident} pattern {pattern!r} is not a token list")
        for token in pattern:
            words = [w for condition in token.values() if isinstance(condition, dict)
                     for w in condition.get("IN", [])]
            if any(isinstance(w, bool) for w in words):
                # YAML reads a bare on/off/no/yes as a boolean: [on, with] would never match "on"
                raise CueFileError(f"{source}: {label}.{ident} pattern {pattern!r} has a bare "
                                   f"on/off/yes/no; quote it")
        yield {"label": label, "id": ident, "pattern": pattern}


def load_cue_patterns(cues_dir: Path = CUES_DIR) -> List[Dict[str, Any]]:
    """Read every cue file into SpanRuler patterns (label need/risk/presenting_issue or a marker, id the
    need, risk or issue id)."""
    patterns: List[Dict[str, Any]] = []
    for source in sorted(cues_dir.glob("*.yml")):
        content = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        for label in LABELS:
            for ident, spec in (content.get(label) or {}).items():
                patterns.extend(_entries(label, ident, spec, source))
        for label in MARKERS:
            for phrase in content.get(label) or []:
                pattern = phrase if isinstance(phrase, list) else str(phrase).lower()
                patterns.append({"label": label, "id": label, "pattern": pattern})
    return patterns


def cues_fingerprint(cues_dir: Path = CUES_DIR) -> str:
    """A hash of the cue files and this builder: the pipeline is rebuilt when it changes."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for source in sorted(cues_dir.glob("*.yml")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def build(output: Path, cues_dir: Path = CUES_DIR) -> Path:
    """Build the pipeline into `output` unless one with the same fingerprint is already there."""
    fingerprint = cues_fingerprint(cues_dir)
    stamp = output / "cues_fingerprint.txt"
    if stamp.exists() and stamp.read_text().strip() == fingerprint:
        return output  # before importing spaCy: that import alone takes seconds
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data, no network
    ruler = nlp.add_pipe(
        "span_ruler",
        config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "LOWER", "overwrite": False},
    )
    forms = _forms_by_lemma()
    patterns = [
        {**p, "pattern": _inflect(p["pattern"], forms)} if isinstance(p["pattern"], list) else p
        for p in load_cue_patterns(cues_dir)
    ]
    ruler.add_patterns(patterns)
    nlp.meta["name"] = PIPELINE_NAME.removeprefix("en_")
    nlp.meta["description"] = "Blank English pipeline with need, risk and presenting-issue cue rules (built at set-up)"
    tmp = output.with_name(output.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    nlp.to_disk(tmp)
    (tmp / "cues_fingerprint.txt").write_text(fingerprint + "\n")
    shutil.rmtree(output, ignore_errors=True)
    tmp.rename(output)  # never leave a half-written pipeline where Rasa looks
    return output


def main(argv: List[str]) -> int:
    output = Path(argv[0]).resolve() if argv else settings.spacy_model_path()
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        build(output)
    except CueFileError as error:
        print(f"cue files: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"spacy_pipeline": str(output), "cues": cues_fingerprint()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
