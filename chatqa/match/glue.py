"""Where the tokenizer breaks words that chat glues together: punctuation and sign-off marks
between words are tokens of their own for every phrase rule (SPEC 5's precision notes)."""

from __future__ import annotations

from typing import Any

# Words glued to punctuation or sign-off markers are separate words (SPEC 5: "sorry.2/2^Corry",
# "Thanks.^Kartika", "help~Shaun", "-Paul"): punctuation between a word and a digit, a marker or a
# bracket; "!", "?" and ";" between words; a sign-off marker before a capital; "~" and "^" ending
# a word ("work~"), a dash ending one ("Settings- About"); menu arrows (">" and its fullwidth
# form, "→"). A "." between two lowercase words stays (domains: "example.com").
_MARK = r"[-\u2013\u2014~^*]"
_PREFIXES = (rf"{_MARK}(?=[A-Z])",)
_INFIXES = (r"(?<=[^\W\d_])[.!?,;:]+(?=[\d^~*(\[])", r"(?<=[^\W\d_])[!?;]+(?=[^\W\d_])",
            r"(?<=[\w.!?,;:)])[\^~*](?=[A-Z])", r"(?<=[^\W\d_])[\^~*]+(?=[\d(])",
            r"(?<=[^\W\d_])[(\[]", r"[>\uff1e\u2192\u00bb\u203a]")
_SUFFIXES = (r"(?<=[^\W\d_])[~^*]+", r"(?<=[^\W\d_]{2})[-\u2013\u2014]+", r"[\uff1e\u2192\u00bb\u203a]")


def break_glued_words(nlp: Any, tokenizer: Any) -> None:
    """Teach the tokenizer the breaks above (on top of spaCy's English rules)."""
    from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

    defaults = nlp.Defaults
    tokenizer.prefix_search = compile_prefix_regex([*_PREFIXES, *defaults.prefixes]).search
    tokenizer.infix_finditer = compile_infix_regex([*defaults.infixes, *_INFIXES]).finditer
    tokenizer.suffix_search = compile_suffix_regex([*_SUFFIXES, *defaults.suffixes]).search
