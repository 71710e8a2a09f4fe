"""Choose the critical detector's settings by cross-validation: ``python -m tests.data.cross_validate_critical``.

Only the development grievances are read. They are split into ten folds, stratified by criticality
and ordered by a hash of the text, so the split is the same on every machine; the detector is trained
on nine folds and scores the tenth. The threshold is the lowest multiple of 0.05 at which the
detector fires on at most :data:`MAX_FALSE_ALARMS` of the non-critical grievances. The smoothing is
fixed (``critical_model.ALPHA``): the other smoothings are shown beside it, and across them the
recall differs by a few hundredths, an order that every batch of new grievances reshuffles, so
choosing the best of them would chase noise and move the detector's every answer with it.

Why a false-alarm rate and not the precision on these texts: four development grievances in five are
critical, far more than in a factory's inbox, so a precision of 0.9 here would allow the detector to
call a quarter of the ordinary complaints critical. At most 3 % of them keeps the precision at 0.9
even if only one grievance in four were critical.

The lexicon was grown on these same texts, so its figures (and those of lexicon or detector) are not
cross-validated: lexicon or detector finds every critical grievance here by construction, and what
the cross-validation measures is the detector's own recall and the false alarms it adds. The chosen
smoothing's recall is also given by form (simplified, traditional, colloquial, misspelt Chinese;
English, misspelt English), to show where the detector is weak.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.router.classify import by_lexicon
from services.router.critical_model import ALPHA, Detector, features, train
from services.router.labelled import Example, load

FOLDS = 10
ALPHAS = (0.05, 0.1, 0.25, 0.5, 1.0)
MAX_FALSE_ALARMS = 0.03
STEP = 0.05


@dataclass(frozen=True)
class Row:
    alpha: float
    threshold: float
    found: int  # critical grievances the detector alone finds, out of fold
    alarms: int  # non-critical grievances it calls critical, out of fold
    union_found: int
    union_alarms: int
    by_form: Mapping[str, tuple[int, int]]  # form -> (critical found by the detector alone, critical)


def folds(examples: Sequence[Example]) -> list[int]:
    """Each example's fold: stratified by criticality, ordered by a hash of the text."""
    order = sorted(
        range(len(examples)),
        key=lambda i: (examples[i].critical, hashlib.sha256(examples[i].text.encode()).hexdigest()),
    )
    fold = [0] * len(examples)
    for n, i in enumerate(order):
        fold[i] = n % FOLDS
    return fold


def out_of_fold(examples: Sequence[Example], alpha: float) -> list[float]:
    """Every example's score by a detector trained on the other folds."""
    found = [features(e.text) for e in examples]
    fold = folds(examples)
    scores = [0.0] * len(examples)
    for k in range(FOLDS):
        weights = train(((found[i], e.critical) for i, e in enumerate(examples) if fold[i] != k), alpha)
        detector = Detector(weights, 0.0)
        for i, e in enumerate(examples):
            if fold[i] == k:
                scores[i] = detector.score(e.text)
    return scores


def lowest_threshold(scores: Sequence[float], examples: Sequence[Example]) -> float:
    """The lowest multiple of STEP above which at most MAX_FALSE_ALARMS of the non-critical fire."""
    ordinary = sorted((s for s, e in zip(scores, examples, strict=True) if not e.critical), reverse=True)
    allowed = math.floor(MAX_FALSE_ALARMS * len(ordinary))
    return math.ceil(ordinary[allowed] / STEP) * STEP


def row(alpha: float, examples: Sequence[Example], lexicon: Sequence[bool]) -> Row:
    scores = out_of_fold(examples, alpha)
    threshold = lowest_threshold(scores, examples)
    fires = [s > threshold for s in scores]
    union = [f or lx for f, lx in zip(fires, lexicon, strict=True)]
    critical = [e.critical for e in examples]
    found = Counter[str](e.form for f, e in zip(fires, examples, strict=True) if f and e.critical)
    forms = Counter[str](e.form for e in examples if e.critical)
    return Row(
        alpha,
        threshold,
        sum(f and c for f, c in zip(fires, critical, strict=True)),
        sum(f and not c for f, c in zip(fires, critical, strict=True)),
        sum(u and c for u, c in zip(union, critical, strict=True)),
        sum(u and not c for u, c in zip(union, critical, strict=True)),
        {form: (found[form], forms[form]) for form in sorted(forms)},
    )


def choose(rows: Sequence[Row]) -> Row:
    """The row of the detector's own smoothing, with the threshold the false-alarm rule gives it."""
    [chosen] = [r for r in rows if r.alpha == ALPHA]
    return chosen


def main() -> None:
    examples = load()
    lexicon = [by_lexicon(e.text).severity == "critical" for e in examples]
    critical = sum(e.critical for e in examples)
    ordinary = len(examples) - critical
    found = sum(lx and e.critical for lx, e in zip(lexicon, examples, strict=True))
    alarms = sum(lx and not e.critical for lx, e in zip(lexicon, examples, strict=True))
    print(f"development: {len(examples)} grievances, {critical} critical, {FOLDS} folds")
    print(
        f"lexicon alone (grown on these): recall {found / critical:.3f} ({found}/{critical}), "
        f"precision {found / (found + alarms):.3f}, false alarms {alarms}/{ordinary}"
    )
    rows = [row(alpha, examples, lexicon) for alpha in ALPHAS]
    for r in rows:
        print(
            f"alpha {r.alpha:<4} threshold {r.threshold:5.2f}: detector recall {r.found / critical:.3f}"
            f" ({r.found}/{critical}) precision {r.found / max(1, r.found + r.alarms):.3f}"
            f" false alarms {r.alarms}/{ordinary}; lexicon or detector recall"
            f" {r.union_found / critical:.3f} precision {r.union_found / (r.union_found + r.union_alarms):.3f}"
            f" false alarms {r.union_alarms}/{ordinary}"
        )
    best = choose(rows)
    print(f"chosen: ALPHA = {best.alpha}, THRESHOLD = {best.threshold:.2f}")
    print(
        "detector recall by form: "
        + ", ".join(f"{form} {n / total:.3f} ({n}/{total})" for form, (n, total) in best.by_form.items())
    )


if __name__ == "__main__":
    main()
