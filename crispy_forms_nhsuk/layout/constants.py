"""Named values for the sizes and widths the NHS.UK design system offers."""

from __future__ import annotations


class Size:
    """Sizes for labels and legends (``nhsuk-label--m``, ``nhsuk-fieldset__legend--l``)."""

    SMALL = "s"
    MEDIUM = "m"
    LARGE = "l"
    EXTRA_LARGE = "xl"

    # Short aliases so layouts can read Size.s, Size.m, Size.l, Size.xl.
    s = SMALL
    m = MEDIUM
    l = LARGE  # noqa: E741 - the design system's own name for the size
    xl = EXTRA_LARGE

    values: tuple[str, ...] = (SMALL, MEDIUM, LARGE, EXTRA_LARGE)

    @classmethod
    def clean(cls, value: str) -> str:
        if value not in cls.values:
            raise ValueError(f"Unexpected size {value!r}; use one of {cls.values}")
        return value


class Fixed:
    """Fixed input widths in characters: ``nhsuk-input--width-<n>``."""

    TWO = 2
    THREE = 3
    FOUR = 4
    FIVE = 5
    TEN = 10
    TWENTY = 20
    THIRTY = 30

    values: tuple[int, ...] = (TWO, THREE, FOUR, FIVE, TEN, TWENTY, THIRTY)

    @classmethod
    def clean(cls, value: int) -> str:
        if value not in cls.values:
            raise ValueError(f"Unexpected fixed width {value!r}; use one of {cls.values}")
        return f"nhsuk-input--width-{value}"


class Fluid:
    """Widths relative to the container: ``nhsuk-u-width-<fraction>``."""

    FULL = "full"
    THREE_QUARTERS = "three-quarters"
    TWO_THIRDS = "two-thirds"
    ONE_HALF = "one-half"
    ONE_THIRD = "one-third"
    ONE_QUARTER = "one-quarter"

    values: tuple[str, ...] = (FULL, THREE_QUARTERS, TWO_THIRDS, ONE_HALF, ONE_THIRD, ONE_QUARTER)

    @classmethod
    def clean(cls, value: str) -> str:
        if value not in cls.values:
            raise ValueError(f"Unexpected fluid width {value!r}; use one of {cls.values}")
        return f"nhsuk-u-width-{value}"


def width_class(width: int | str) -> str:
    """The CSS class for a fixed (int) or fluid (str) input width."""
    if isinstance(width, int):
        return Fixed.clean(width)
    return Fluid.clean(width)


def heading_tag(tag: str | None) -> str | None:
    """Labels and legends can be wrapped in h1-h6 when they are the page's question."""
    if tag is None:
        return None
    if tag not in ("h1", "h2", "h3", "h4", "h5", "h6"):
        raise ValueError(f"Unexpected heading tag {tag!r}; use h1 to h6")
    return tag
