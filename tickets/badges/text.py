"""Fitting a piece of text into a box: shrink it, then wrap it, then cut it
short with an ellipsis. Sizes are in points."""

from dataclasses import dataclass

from .fonts import ASCENT, DESCENT, ELLIPSIS, text_width

LINE_PITCH = 1.2  # baseline to baseline, in ems
SIZE_STEP = 0.5


def block_height(lines: int, size: float) -> float:
    """Height of `lines` lines of text at `size`, top of the first line's
    ascent to the bottom of the last line's descent."""
    return ((lines - 1) * LINE_PITCH + ASCENT + DESCENT) * size


@dataclass(frozen=True)
class Fitted:
    size: float
    lines: tuple[str, ...]

    @property
    def height(self) -> float:
        return block_height(len(self.lines), self.size)


def fit_text(
    text: str,
    *,
    bold: bool,
    width: float,
    height: float,
    max_size: float,
    min_size: float,
    max_lines: int,
) -> Fitted:
    """Return the largest size (at most `max_size`) at which `text` fits in
    `width` x `height` on one line; failing that at `min_size`, the largest
    size at which it fits wrapped on up to `max_lines` lines; failing that,
    `max_lines` lines at `min_size`, the last ending in an ellipsis.
    `height` must hold `max_lines` lines at `min_size`."""
    if not text:
        return Fitted(max_size, ())
    one = text_width(text, bold, 1.0)
    size = _floor(min(max_size, width / one if one else max_size))
    while size >= min_size and block_height(1, size) > height:
        size -= SIZE_STEP
    if size >= min_size:
        return Fitted(size, (text,))
    for count in range(2, max_lines + 1):
        size = max_size
        while size >= min_size:
            # Wrapping never makes text shorter: skip sizes it cannot fit.
            if block_height(count, size) <= height and one * size <= count * width:
                lines = wrap(text, bold=bold, size=size, width=width)
                if len(lines) <= count:
                    return Fitted(size, tuple(lines))
            size -= SIZE_STEP
    lines = wrap(text, bold=bold, size=min_size, width=width)
    kept = lines[:max_lines]
    kept[-1] = ellipsize(kept[-1], bold=bold, size=min_size, width=width)
    return Fitted(min_size, tuple(kept))


def _floor(size: float) -> float:
    return int(size / SIZE_STEP) * SIZE_STEP


def wrap(text: str, *, bold: bool, size: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width`: between words, or
    after a hyphen, or (a word too long for any line) anywhere, with a
    hyphen added."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, bold, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
        while text_width(word, bold, size) > width:
            head, word = _break_word(word, bold=bold, size=size, width=width)
            lines.append(head)
        line = word
    if line:
        lines.append(line)
    return lines


def _break_word(word: str, *, bold: bool, size: float, width: float):
    """Split a word too wide for a line into (a head that fits, the rest):
    after its last hyphen that fits, else as many letters as fit, plus a
    hyphen. The head is at least one character long."""
    hyphen_width = text_width("-", bold, size)
    used, cut, fits_with_hyphen = 0.0, 0, 0
    for ch in word:
        used += text_width(ch, bold, size)
        if used > width:
            break
        cut += 1
        if used + hyphen_width <= width:
            fits_with_hyphen = cut
    cut = max(cut, 1)
    hyphen = word.rfind("-", 0, cut)
    if hyphen > 0:
        return word[: hyphen + 1], word[hyphen + 1 :]
    head = word[: max(fits_with_hyphen, 1)]
    if head[-1].isalnum():
        return head + "-", word[len(head) :]
    head = word[:cut]
    return head, word[cut:]


def ellipsize(line: str, *, bold: bool, size: float, width: float) -> str:
    """Return `line` cut short enough to end in an ellipsis within `width`."""
    while line and text_width(line + ELLIPSIS, bold, size) > width:
        line = line[:-1]
    return line.rstrip(" -") + ELLIPSIS
