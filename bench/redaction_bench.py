"""Contact redaction, ours vs Presidio's pattern recognizers: recall, false positives, speed.

Presidio is run as people run it without a model: AnalyzerEngine with the NoOp NLP engine
(no spaCy model is loaded or fetched) and only EmailRecognizer and PhoneRecognizer (its default
regions). Every socket connect is refused while it runs, and the bench reports any attempt.

Sets: the red-team set (tests/unit/data/redteam_contacts.jsonl) and, where present, the
blind set written after tuning stopped; the `expect.contact` strings of the development corpus
(../shared/corpus/real_dev.jsonl, read at run time, never copied), with false positives counted
on its fields that hold no contact at all.
Run: PYTHONPATH=libs:. python bench/redaction_bench.py
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "unit" / "data"
REDTEAM = DATA / "redteam_contacts.jsonl"
BLIND = DATA / "redteam_blind.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus" / "real_dev.jsonl"
CORPUS_FIELDS = ("bio", "location", "display_name", "category", "external_url")
TOKEN = "[contact removed]"
_WORD = re.compile(r"\w{3,}")

Redactor = Callable[[str], str]


def load_cases(path: Path) -> list[dict]:
    """The cases of a red-team JSONL file."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def leaked(text: str, out: str, contact: str) -> bool:
    """Whether any of contact survives in out: whole, or a 3+ character word of it that the
    rest of text does not also hold ("name [arroba] gmail.com" -> "name [contact removed]")."""
    if contact in out:
        return True
    rest = text.replace(contact, " ")
    return any(w in out and w not in rest and w not in TOKEN for w in _WORD.findall(contact))


def judge(case: dict, out: str) -> tuple[list[str], list[str]]:
    """(contacts that leaked, survivors that were damaged) of one case's output."""
    text = case["text"]
    missed = [c for c in case["remove"] if leaked(text, out, c)]
    damaged = [k for k in case["keep"] if k not in out]
    return missed, damaged


def ours() -> Redactor:
    """Our redactor as a text -> text function."""
    from sxp_common.redaction import redact_text
    return lambda text: redact_text(text).text


def splice(text: str, spans: list[tuple[int, int]]) -> str:
    """text with every span (merged where they overlap) replaced by the token."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start >= pos:
            out += [text[pos:start], TOKEN]
        elif end <= pos:
            continue
        pos = max(pos, end)
    return "".join(out + [text[pos:]])


@contextmanager
def no_network() -> Iterator[list[str]]:
    """Refuse (and record) every socket connect made inside the block."""
    attempts: list[str] = []
    real = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection,
            socket.getaddrinfo)

    def refuse(*args: object, **_: object) -> None:
        attempts.append(repr(args[1:] if len(args) > 1 else args))
        raise OSError("network disabled by redaction_bench")

    socket.socket.connect = socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = socket.getaddrinfo = refuse  # type: ignore[assignment]
    try:
        yield attempts
    finally:
        (socket.socket.connect, socket.socket.connect_ex, socket.create_connection,
         socket.getaddrinfo) = real


def presidio() -> Redactor | None:
    """Presidio's EmailRecognizer + PhoneRecognizer on the NoOp NLP engine; None if absent.

    EmailRecognizer validates domains with tldextract, whose first call downloads the public
    suffix list: it is pointed at the snapshot tldextract ships, so nothing is fetched.
    """
    try:
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine.no_op_nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import EmailRecognizer, PhoneRecognizer
        from presidio_analyzer.predefined_recognizers.generic import email_recognizer
    except ImportError:
        return None
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    email_recognizer.tldextract = SimpleNamespace(extract=offline)  # type: ignore[attr-defined]
    registry = RecognizerRegistry(recognizers=[EmailRecognizer(), PhoneRecognizer()])
    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    engine.load()
    analyzer = AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])

    def redact(text: str) -> str:
        found = analyzer.analyze(text=text, language="en")
        return splice(text, [(r.start, r.end) for r in found])

    return redact


def score_cases(cases: list[dict], redact: Redactor) -> dict:
    """Recall over contact strings, and false positives: damaged survivors and negative cases
    (no contact at all) where anything was removed."""
    contacts = caught = damaged = neg = neg_hit = 0
    for case in cases:
        out = redact(case["text"])
        missed, lost = judge(case, out)
        contacts += len(case["remove"])
        caught += len(case["remove"]) - len(missed)
        damaged += len(lost)
        if not case["remove"]:
            neg += 1
            neg_hit += out != case["text"]
    return {"contacts": contacts, "caught": caught, "damaged": damaged,
            "negatives": neg, "negatives_hit": neg_hit}


def corpus_cases(path: Path) -> list[dict]:
    """The corpus as cases: one per field, contacts to remove where its `expect.contact`
    strings occur in that field, nothing to keep (false positives: fields with no contact)."""
    out: list[dict] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            contacts = record.get("expect", {}).get("contact", [])
            for name in CORPUS_FIELDS:
                value = record.get(name)
                if isinstance(value, str) and value:
                    remove = [c for c in contacts if c in value]
                    out.append({"text": value, "remove": remove, "keep": []})
    return out


def strings_per_second(texts: list[str], redact: Redactor, seconds: float = 2.0) -> float:
    """How many of texts redact handles per second (repeating the list for at least seconds)."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for text in texts:
            redact(text)
        done += len(texts)
    return done / (time.perf_counter() - start)


def _row(name: str, s: dict) -> str:
    recall = s["caught"] / s["contacts"] if s["contacts"] else float("nan")
    return (f"  {name:<10} {s['caught']:>4}/{s['contacts']:<4} {recall:>7.3f}"
            f" {s['damaged']:>9} {s['negatives_hit']:>5}/{s['negatives']:<5}")


def main() -> int:
    """Print the side-by-side table; exit 1 if Presidio tried to reach the network."""
    sets = [("red-team", load_cases(REDTEAM))]
    if BLIND.exists():
        sets.append(("blind", load_cases(BLIND)))
    if CORPUS.exists():
        sets.append(("real_dev", corpus_cases(CORPUS)))
    else:
        print(f"(corpus not found at {CORPUS}: skipped)")
    with no_network() as attempts:
        theirs = presidio()
        tools = [("ours", ours())] + ([("presidio", theirs)] if theirs else [])
        print("set        tool       caught/all  recall  survivors  FP cases")
        print("                                          damaged    (no contact)")
        for set_name, cases in sets:
            print(set_name)
            for tool_name, redact in tools:
                print(_row(tool_name, score_cases(cases, redact)))
    if theirs is None:
        print("presidio-analyzer is not installed (pip install -e '.[dev]'): ours only")
    texts = [c["text"] for _, cases in sets for c in cases]
    print(f"ours: {strings_per_second(texts, ours()):,.0f} strings/s on one core "
          f"({len(texts)} distinct strings)")
    print(f"network connects attempted while Presidio ran: {len(attempts)}")
    return 1 if attempts else 0


if __name__ == "__main__":
    sys.path[:0] = [str(ROOT / "libs"), str(ROOT)]
    sys.exit(main())
