"""The parser against answers written for this project (tests/parser_corpus/): every clone measures it."""

from pathlib import Path

import pytest

from activellm.prompts.answers import parse_answer

CORPUS = Path(__file__).resolve().parent.parent / "parser_corpus"


def _numbers(value: str) -> list[int]:
    return [int(v) for v in value.replace(",", " ").split()]


def read_case(path: Path) -> dict:
    head, answer = path.read_text(encoding="utf-8").split("\n---\n", 1)
    fields = dict(line.split(":", 1) for line in head.splitlines() if line.strip())
    case = {"answer": answer, "expected": _numbers(fields["expected"]), "k": int(fields["k"])}
    case["shown"] = set(range(int(fields["shown"]))) if "shown" in fields else None
    case["ids"] = ({int(i): int(n) for i, n in (pair.split("=") for pair in fields["ids"].split(","))}
                   if "ids" in fields else None)
    case["labeled_before"] = _numbers(fields.get("labeled_before", ""))
    return case


CASES = sorted(CORPUS.glob("*.txt"))


def test_the_corpus_covers_each_form():
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_parser_reads_what_a_person_reads(path):
    case = read_case(path)
    parsed = parse_answer(case["answer"], case["k"], case["shown"], case["ids"], case["labeled_before"])
    assert parsed.picks == case["expected"]
