"""The one text vectorisation every utterance model shares: hashed words, word pairs and character n-grams."""

from __future__ import annotations

import bisect
import math
import re
import zlib
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np

from calmline.engine.sentiment import polarity

# Links and @handles (each read as one placeholder word), words (letters and digits, with inner
# apostrophes: "don't"), the two punctuation marks that carry tone, and emoji one by one. Matched on
# the original text so every span points at what the user wrote.
_TOKEN = re.compile(
    r"(?P<link>https?://\S+|www\.\S+)|(?P<handle>@\w+)|[^\W_]+(?:['’][^\W_]+)*|[!?]|[\U0001F000-\U0001FAFF\u2600-\u27BF]"
)
_SENTENCE_GAP = re.compile(r"[.!?\n]")

# Word classes: each match adds the feature "L|<class>" (or "L|<class>:not" when negated just before)
# to the words it covers. The training data is Reddit, tweets and wiki requests, where "livid",
# "fuming" or "idiot" are rare; a class feature lets the weight learnt from the members that are
# common carry over to the rare ones. Frozen here, versioned with the models (``word_classes``):
# editing a list changes the features, so the models must be retrained.
WORD_CLASSES: dict[str, tuple[str, ...]] = {
    "anger": (
        r"furious(?:ly)?",
        r"livid",
        r"fuming",
        r"seething",
        r"irate",
        r"enraged",
        r"outraged?",
        r"incensed",
        r"infuriat\w*",
        r"angry",
        r"angr(?:ier|iest|ily)",
        r"mad(?:der)?",
        r"pissed(?: off)?",
        r"annoy\w*",
        r"irritat\w*",
        r"frustrat\w*",
        r"fed up",
        r"sick (?:and tired )?of",
        r"had enough",
        r"enough is enough",
        r"ridiculous",
        r"absurd",
        r"unacceptable",
        r"outrageous",
        r"disgrac\w*",
        r"disgust\w*",
        r"appalling",
        r"atrocious",
        r"pathetic",
        r"useless",
        r"incompetent",
        r"shambles",
        r"scam\w*",
        r"rip[- ]?off",
        r"ripped off",
        r"liars?",
        r"lied",
        r"hate[sd]?",
        r"worst",
        r"terrible",
        r"awful",
        r"horrible",
        r"nonsense",
        r"rubbish",
        r"garbage",
        r"bullshit",
        r"wtf",
        r"how dare",
        r"are you kidding",
        r"unbelievable",
        r"insult(?:ed|ing)?",
        r"rude(?:ly|ness)?",
    ),
    "distress": (
        r"worr(?:y|ied|ies|ying)",
        r"anxious",
        r"anxiety",
        r"scared",
        r"afraid",
        r"frightened",
        r"terrified",
        r"terrifying",
        r"panic\w*",
        r"nervous",
        r"stress(?:ed|ful)?",
        r"overwhelmed",
        r"desperate(?:ly)?",
        r"devastat\w*",
        r"heartbr\w*",
        r"upset(?:ting)?",
        r"sad(?:ly|ness)?",
        r"crying",
        r"in tears",
        r"depress\w*",
        r"miserable",
        r"helpless",
        r"hopeless",
        r"can'?t afford",
        r"can'?t cope",
        r"(?:don'?t|do not) know what (?:else )?to do",
        r"at my wits'? end",
        r"struggling",
        r"exhausted",
        r"disappoint\w*",
        r"let down",
        r"lonely",
        r"grie(?:f|ving|ve)",
        r"passed away",
    ),
    "insult": (
        r"idiot(?:s|ic)?",
        r"moron(?:s|ic)?",
        r"imbeciles?",
        r"cretins?",
        r"dumbass\w*",
        r"jackass\w*",
        r"jerks?",
        r"losers?",
        r"clowns?",
        r"fools?",
        r"scumbags?",
        r"scum",
        r"lowlifes?",
        r"dimwits?",
        r"halfwits?",
        r"numpt(?:y|ies)",
        r"muppets?",
        r"bozos?",
        r"twats?",
        r"pricks?",
        r"wankers?",
        r"tossers?",
        r"douche\w*",
        r"assholes?",
        r"arseholes?",
        r"bastards?",
        r"bitch(?:es|y)?",
        r"dicks?",
        r"dickheads?",
        r"cunts?",
        r"whores?",
        r"sluts?",
        r"hoes?",
        r"retard(?:s|ed)?",
        r"shut up",
        r"stfu",
        r"gtfo",
        r"piece of (?:shit|crap|garbage|trash)",
        r"waste of (?:space|oxygen)",
        r"brain ?dead",
    ),
    # Slurs against a group (race, origin, sexuality, gender identity). Davidson's hate tweets use
    # dozens of them, each one rare; without a shared class the rarer ones score as harmless words.
    # Words with an everyday sense ("cracker", "queer" as reclaimed) are left out.
    "slur": (
        r"nigg(?:a|ah|er|uh)s?",
        r"niglets?",
        r"fag(?:s|got\w*|gy)?",
        r"dykes?",
        r"trann(?:y|ies)",
        r"shemales?",
        r"homos?",
        r"spics?",
        r"chinks?",
        r"gooks?",
        r"kikes?",
        r"wetbacks?",
        r"beaners?",
        r"coons?",
        r"jigaboos?",
        r"porch monkeys?",
        r"towel ?heads?",
        r"rag ?heads?",
        r"camel jockeys?",
        r"zipperheads?",
        r"white trash",
    ),
    "profanity": (
        r"f+u+c+k+\w*",
        r"f[*#@$!]+(?:k|ck|in[g']?)\w*",
        r"shit\w*",
        r"sh[*#@$!]t\w*",
        r"crap\w*",
        r"(?:god)?damn\w*",
        r"hell",
        r"bloody",
        r"bollocks",
        r"piss\w*",
        r"ffs",
        r"omfg",
        r"bs",
    ),
    "courtesy": (
        r"please",
        r"thanks?",
        r"thank you",
        r"appreciate[sd]?",
        r"grateful",
        r"kindly",
        r"would you mind",
        r"could you",
        r"would you",
        r"happy to help",
        r"my pleasure",
        r"sorry",
        r"apologi[sz]e",
    ),
    "curt": (
        r"calm down",
        r"as i (?:already )?said",
        r"as i told you",
        r"i told you",
        r"obviously",
        r"not my problem",
        r"whatever",
        r"you should have",
        r"read the",
        r"what do you want",
        r"for the last time",
        r"i don'?t care",
        r"deal with it",
        r"get over it",
    ),
}
_WORD_CLASS = re.compile(
    r"(?<![\w'’])(?:"
    + "|".join(
        f"(?P<{name}>{'|'.join(sorted(words, key=len, reverse=True))})"
        for name, words in WORD_CLASSES.items()
    )
    + r")(?![\w'’])",
    re.IGNORECASE,
)
_NEGATED = re.compile(r"(?:\bnot|\bnever|\bno|n['’]t)\W+(?:\w+\W+)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FeatureSettings:
    """How text becomes features; stored with every model so training and run time agree exactly."""

    buckets_log2: int = 18
    char_min: int = 3
    char_max: int = 5
    word_pairs: bool = True
    sentence_starts: bool = True
    caps: bool = True
    # VADER's polarity read as four extra features (neg, pos, compound, compound <= -0.05), times this.
    vader_scale: float = 0.5
    # Version of WORD_CLASSES and their negation in use (0: none); bump it whenever they change.
    word_classes: int = 3

    @property
    def buckets(self) -> int:
        return 1 << self.buckets_log2

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSettings:
        return cls(**data)


class Token(NamedTuple):
    """A word (lower-cased, curly apostrophe made straight) and where it stands in the text."""

    text: str
    start: int
    end: int
    shouted: bool
    opens_sentence: bool


class TokenFeatures(NamedTuple):
    """The hashed features one token brings: its word-level buckets and its character n-gram buckets.

    ``pair`` is the bucket of the word pair this token starts (-1 at the end of the text); it is
    kept apart so an explanation can credit it to both words.
    """

    words: tuple[int, ...]
    pair: int
    chars: tuple[int, ...]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    previous_end = 0
    opens = True
    for m in _TOKEN.finditer(text):
        word = m.group()
        start = m.start()
        kind = m.lastgroup
        if not opens and start > previous_end:
            opens = _SENTENCE_GAP.search(text, previous_end, start) is not None
        text_of = (
            "<link>" if kind == "link" else "@user" if kind == "handle" else word.lower().replace("’", "'")
        )
        tokens.append(
            Token(text_of, start, m.end(), kind is None and len(word) > 1 and word.isupper(), opens)
        )
        previous_end = m.end()
        opens = word in ("!", "?")
    return tokens


DENSE_NAMES = ("vader_neg", "vader_pos", "vader_compound", "vader_negative")


def dense(text: str, settings: FeatureSettings) -> np.ndarray:
    """VADER's reading of ``text`` as dense features: a lexicon with rules for negation, boosters and caps
    generalises to words the training data never saw."""
    if not settings.vader_scale:
        return np.zeros(len(DENSE_NAMES), dtype=np.float32)
    # The shared, cached reading: the emotion detectors ask VADER about the same turn.
    reading = polarity(text)
    compound = reading["compound"]
    values = (reading["neg"], reading["pos"], compound, 1.0 if compound <= -0.05 else 0.0)
    return np.array(values, dtype=np.float32) * np.float32(settings.vader_scale)


def bucket(name: str, buckets_log2: int) -> int:
    # crc32 rather than hash(): Python salts str hashes per process, and weights must stay put.
    return zlib.crc32(name.encode("utf-8")) & ((1 << buckets_log2) - 1)


class Vectorizer:
    """Text to hashed features under fixed settings; remembers each word's buckets (words recur)."""

    CACHE_LIMIT = 200_000

    def __init__(self, settings: FeatureSettings) -> None:
        self.settings = settings
        self._words: dict[str, tuple[int, tuple[int, ...]]] = {}
        self._caps = bucket("x|caps", settings.buckets_log2)

    def _word_buckets(self, word: str) -> tuple[int, tuple[int, ...]]:
        """The unigram bucket and the character n-gram buckets of one word."""
        known = self._words.get(word)
        if known is not None:
            return known
        settings = self.settings
        log2 = settings.buckets_log2
        chars: list[int] = []
        if word.isalpha():
            padded = f" {word} "
            for n in range(settings.char_min, settings.char_max + 1):
                chars.extend(bucket("c|" + padded[j : j + n], log2) for j in range(len(padded) - n + 1))
        found = (bucket("w|" + word, log2), tuple(chars))
        if len(self._words) >= self.CACHE_LIMIT:
            self._words.clear()  # bounded memory on an endless stream of new words
        self._words[word] = found
        return found

    def token_features(self, text: str, tokens: list[Token]) -> list[TokenFeatures]:
        """The features of every token of ``text``, in text order."""
        settings = self.settings
        log2 = settings.buckets_log2
        out: list[TokenFeatures] = []
        last = len(tokens) - 1
        classes, negated = self._word_classes(text, tokens) if settings.word_classes else ({}, set())
        for i, token in enumerate(tokens):
            chars: tuple[int, ...]
            if i in negated:
                # "not angry" must not count the anger of "angry": the word becomes a negated word.
                unigram, chars = bucket("w|not_" + token.text, log2), ()
            else:
                unigram, chars = self._word_buckets(token.text)
            words: tuple[int, ...] = (unigram, *classes.get(i, ()))
            if settings.sentence_starts and token.opens_sentence:
                words += (bucket("s|" + token.text, log2),)
            if settings.caps and token.shouted:
                words += (self._caps,)
            pair = -1
            if settings.word_pairs and i < last:
                pair = bucket(f"b|{token.text} {tokens[i + 1].text}", log2)
            out.append(TokenFeatures(words, pair, chars))
        return out

    def _word_classes(self, text: str, tokens: list[Token]) -> tuple[dict[int, tuple[int, ...]], set[int]]:
        """The class buckets each token carries (every token inside a class match gets the class), and
        the tokens of negated matches ("not angry"), which lose their own word features."""
        found: dict[int, tuple[int, ...]] = {}
        negated: set[int] = set()
        if not tokens:
            return found, negated
        starts = [t.start for t in tokens]
        for m in _WORD_CLASS.finditer(text):
            name = m.lastgroup or ""
            is_negated = _NEGATED.search(text, max(0, m.start() - 25), m.start()) is not None
            index = bucket("L|" + name + (":not" if is_negated else ""), self.settings.buckets_log2)
            i = bisect.bisect_left(starts, m.start())
            while i < len(tokens) and tokens[i].end <= m.end():
                found[i] = (*found.get(i, ()), index)
                if is_negated:
                    negated.add(i)
                i += 1
        return found, negated

    def vectorize(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The hashed feature vector of ``text`` as (bucket indices, values); indices are unique."""
        indices, values = self.sparse(self.token_features(text, tokenize(text)))
        return (
            np.fromiter(indices, dtype=np.int64, count=len(indices)),
            np.fromiter(values, dtype=np.float32, count=len(values)),
        )

    @staticmethod
    def sparse(per_token: list[TokenFeatures]) -> tuple[list[int], list[float]]:
        """Bucket indices and values: each block (word-level, character n-grams) counts a distinct
        bucket once and has unit length, so long and short messages weigh alike and words are
        not drowned by their many n-grams."""
        words: set[int] = set()
        chars: set[int] = set()
        for t in per_token:
            words.update(t.words)
            if t.pair >= 0:
                words.add(t.pair)
            chars.update(t.chars)
        values = dict.fromkeys(chars, 1 / math.sqrt(len(chars))) if chars else {}
        if words:
            word_value = 1 / math.sqrt(len(words))
            for index in words:
                values[index] = values.get(index, 0.0) + word_value
        return list(values), list(values.values())
