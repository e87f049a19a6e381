"""Word and line statistics for a piece of text."""

from __future__ import annotations

from collections import Counter


def words(text: str) -> list[str]:
    """Lower-cased words: runs of letters, digits and apostrophes."""
    out = []
    current = []
    for ch in text:
        if ch.isalnum() or ch == "'":
            current.append(ch.lower())
        elif current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def most_common(text: str, n: int = 3) -> list[tuple[str, int]]:
    counts = Counter(words(text))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def character_classes(text: str) -> dict[str, int]:
    result = {"vowels": 0, "consonants": 0, "digits": 0, "other": 0}
    i = 0
    while i < len(text):
        ch = text[i].lower()
        if ch in "aeiou":
            result["vowels"] += 1
        elif "a" <= ch <= "z":
            result["consonants"] += 1
        elif ch.isdigit():
            result["digits"] = result["digits"] + 1
        elif not ch.isspace():
            result["other"] += 1
        i += 1
    return result


def average_line_length(text: str) -> float:
    total = 0
    lines = 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        total += len(stripped)
        lines += 1
    return total / lines if lines else 0.0


def capitalize(s: str) -> str:
    result = []
    start = True
    for ch in s:
        if start and ch.isalpha():
            result.append(ch.upper())
            start = False
        else:
            result.append(ch)
            if ch == " ":
                start = True
    return "".join(result)


if __name__ == "__main__":
    sample = "The quick brown fox jumps over the lazy dog.\nThe dog sleeps; the fox runs 42 laps!\n"
    print(len(words(sample)), most_common(sample))
    print(character_classes(sample))
    print(f"{average_line_length(sample):.3f}")
    print(capitalize("hello wide world"))
