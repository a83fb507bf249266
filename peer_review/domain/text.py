"""The kinds of text people type, each with its limit, in one place.

Names and titles are one line: they go into email subjects, calendar entries, file names and table
cells, where a line break would end the field or start a new one. Paragraphs may break lines but hold
no other control characters (a NUL cannot even be stored by PostgreSQL). Everything else, from emoji to
right-to-left marks, `[/]` or `{{ }}`, is kept as typed and escaped wherever it is shown.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

#: C0 and C1 control characters and DEL, but tab and line breaks, which paragraphs may hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Everything a terminal, mailer or calendar reads as the end of a line.
_LINE_BREAK = re.compile(r"[\r\n\x0b\x0c\x85\u2028\u2029]")


def _character_name(char: str) -> str:
    return {"\x00": "NUL", "\n": "a line break", "\r": "a carriage return", "\t": "a tab"}.get(
        char, f"U+{ord(char):04X}"
    )


def paragraph(value: str) -> str:
    if found := _CONTROL.search(value):
        raise ValueError(
            f"remove the control character {_character_name(found.group())} at character {found.start() + 1}"
        )
    return value


def one_line(value: str) -> str:
    if found := _LINE_BREAK.search(value):
        raise ValueError(f"must be one line: remove {_character_name(found.group())} at character {found.start() + 1}")
    if "\t" in value:
        raise ValueError(f"must be one line of text: remove the tab at character {value.index(chr(9)) + 1}")
    return paragraph(value)


def _text(max_length: int, *, required: bool = True, single_line: bool = False):
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1 if required else 0, max_length=max_length),
        AfterValidator(one_line if single_line else paragraph),
    ]


#: A person's, trust's or partnership's name; a job title; an organisation.
Name = _text(200, single_line=True)
OptionalName = _text(200, required=False, single_line=True)
#: A strand's, line of enquiry's or evidence item's title; a framework's title or source.
Title = _text(300, single_line=True)
OptionalTitle = _text(300, required=False, single_line=True)
#: A paragraph: a self-evaluation, a finding, a comment, a reason.
Text = _text(4000)
OptionalText = _text(4000, required=False)
#: A short reference typed by hand: an evidence id, a finding id, a trust id or email in a conflicts list.
Reference = _text(254, single_line=True)
OptionalReference = _text(254, required=False, single_line=True)

#: An address as people write them: letters, digits and . _ % + ' - before the @, a dotted domain after (no
#: commas, quotes or angle brackets, which a mailer would read as several recipients).
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        max_length=254,
        pattern=r"^[a-zA-Z0-9._%+'-]+@[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+$",
    ),
]
