"""A learnt second reader of critical grievances, beside the lexicon: naive Bayes over n-grams.

The lexicon (:mod:`services.router.lexicon`) reads the words it was taught, and a critical situation
told in words it was not taught goes on the slow clock: batches of new wording were caught at 0.43 to
0.56 before they were learnt. A missed locked exit costs far more than a committee reading one
ordinary complaint as urgent, so :func:`services.router.classify.classify` calls a grievance critical
when the lexicon says so *or* this detector is confident. The detector decides severity only: the
category stays the lexicon's.

It is a multinomial naive Bayes over the presence of features of the folded text
(:func:`shared.textfold.spaced`: traditional folded to simplified, case folded): character 1- to
3-grams of every run of Chinese characters, and English words and word pairs. Each feature carries
the log ratio of its smoothed frequency among critical and among other development grievances
(:mod:`services.router.labelled`); a text's score is the sum over its features (unknown ones count
zero) divided by the square root of their number, and the detector fires above :data:`THRESHOLD`.
The classes get equal priors: nearly three development grievances in four are critical, far more
than in a factory's inbox, and the data's share must not push every text towards critical.

Why hand-written and not scikit-learn: counting and one sum are a few dozen lines, deterministic
(integer counts, so the order of the examples cannot change a weight), and cost no numpy and scipy
(tens of megabytes) in every router image; a logistic regression tried on the same features did no
better. It is trained once per process (0.3 s to read the data and count), when the router starts
or on first use, not at import, and not shipped as an artifact that could drift from the data.

:data:`THRESHOLD` is chosen by ten-fold cross-validation on the development grievances only
(``python -m tests.data.cross_validate_critical``): the lowest threshold at which the detector calls
at most 3 % of the ordinary grievances critical; a unit test reruns the choice. :data:`ALPHA` is
fixed: across the smoothings tried the recall differs by a few hundredths in an order each batch of
data reshuffles. At alpha 0.25, threshold 2.0, the detector alone finds 0.631 of the critical
development grievances (1048/1662), cross-validated, and calls 22 of 758 ordinary ones critical
(precision 0.979; lexicon or detector 0.986, against the lexicon's 0.999 on the texts it was grown
on). Before a batch of 127 ordinary look-alikes (a door, a ceiling,
outside, a first-aid kit) was learnt, the detector at alpha 0.1 and threshold 2.5 read
``从外面看不出来`` and ``天花板很高`` as critical; it no longer does. Held out, counted after each
change of the data: critical recall 0.975 (39/40, as the lexicon alone), accuracy 0.986, precision
0.867 (39/45: the lexicon calls two ordinary held-out grievances critical, the detector four more).
docs/router.md has more.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

from shared.textfold import spaced

ALPHA = 0.25  # additive smoothing of every feature's count in each class
THRESHOLD = 2.0  # the score (a log likelihood ratio over the root of the feature count) to exceed

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_CHARS = (1, 2, 3)


def features(text: str) -> frozenset[str]:
    """The features a text has: Chinese character 1- to 3-grams, English words and word pairs."""
    folded = spaced(text)
    found: set[str] = set()
    for run in _HAN.findall(folded):
        for n in _CHARS:
            found.update(run[i : i + n] for i in range(len(run) - n + 1))
    words = _WORD.findall(folded)
    found.update(words)
    found.update(f"{a} {b}" for a, b in pairwise(words))
    return frozenset(found)


@dataclass(frozen=True)
class Detector:
    weights: Mapping[str, float]  # feature -> log P(feature | critical) - log P(feature | other)
    threshold: float

    def score(self, text: str) -> float:
        """The log likelihood ratio of critical against not over the text's known features, divided
        by the square root of the number of all its features: overlapping n-grams repeat one
        another's evidence, and a text made mostly of words never seen in training (a thank-you, a
        question about the service) is weak evidence either way."""
        found = features(text)
        return sum(self.weights.get(f, 0.0) for f in found) / math.sqrt(len(found)) if found else 0.0

    def fires(self, text: str) -> bool:
        return self.score(text) > self.threshold


def train(examples: Iterable[tuple[frozenset[str], bool]], alpha: float = ALPHA) -> dict[str, float]:
    """Each feature's weight from (features, critical) pairs: a pure function of its input."""
    counts = {True: Counter[str](), False: Counter[str]()}
    for found, critical in examples:
        counts[critical].update(found)
    vocabulary = sorted(counts[True].keys() | counts[False].keys())
    totals = {c: sum(counts[c].values()) + alpha * len(vocabulary) for c in counts}
    return {
        f: math.log((counts[True][f] + alpha) / totals[True])
        - math.log((counts[False][f] + alpha) / totals[False])
        for f in vocabulary
    }


@cache
def detector() -> Detector:
    """The detector trained on the development grievances, once per process, on first use."""
    from services.router import labelled  # its YAML and pydantic models cost ~0.2 s; only here

    examples = labelled.load()
    return Detector(train((features(e.text), e.critical) for e in examples), THRESHOLD)


def is_critical(text: str) -> bool:
    """Whether the detector is confident that the grievance is critical."""
    return detector().fires(text)
