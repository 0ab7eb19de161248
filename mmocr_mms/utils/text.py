"""Character sets and the label normaliser, defined once for the whole
package: the word renderer, the recognition label rule, the CTC probe and
the benchmark tables import them from here.

The common scene-text evaluation protocol scores words on 36 lowercase
alphanumerics: a label is lower-cased and every other character removed
(:func:`normalize_label`).
"""
import re
from typing import Pattern, Union

__all__ = [
    'PROTOCOL_CHARSET', 'PROTOCOL_PATTERN', 'DEFAULT_CHARSET',
    'normalize_label'
]

#: The 36 characters the common protocol scores (MMOCR's
#: ``lower_english_digits`` dictionary); the CTC probe's classes.
PROTOCOL_CHARSET = '0123456789abcdefghijklmnopqrstuvwxyz'

#: Characters removed (after lower-casing) by the common protocol.
PROTOCOL_PATTERN = '[^0-9a-z]'

#: Characters of the random strings the word renderer draws: digits, lower
#: and upper case letters (62).
DEFAULT_CHARSET = PROTOCOL_CHARSET + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'


def normalize_label(text: str,
                    pattern: Union[str, Pattern] = PROTOCOL_PATTERN) -> str:
    """The protocol text of a label: lower-cased, then every match of
    ``pattern`` removed (``'Hello, World!'`` -> ``'helloworld'``).

    Args:
        text: The label.
        pattern: Regex (string or compiled) of the characters to remove;
            the protocol's ``[^0-9a-z]`` by default.
    """
    return re.sub(pattern, '', text.lower())
